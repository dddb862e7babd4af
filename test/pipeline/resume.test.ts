import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { GUARDRAIL_MISSING, LEGACY_GUARDRAIL_LINES } from "../../src/core/summary.ts";
import type { PipelineDefinition } from "../../src/core/schemas/config.ts";
import type { Manifest } from "../../src/core/schemas/manifest.ts";
import { activeRunRefusal, applyResumeReset } from "../../src/pipeline/resume-reset.ts";
import { checkResumeToken, resumeTokenMatches, storedResumeToken } from "../../src/pipeline/resume-token.ts";
import { scratchDir } from "../helpers/cli.ts";
import { fakeEntry, fakeManifest } from "./fixture.ts";

const RUN = "2025-11-04T02-45-12-345Z-abcdef01";

test("token comparison via digests; mismatch is exit 2; no token is accepted", () => {
  expect(resumeTokenMatches("a".repeat(64), "a".repeat(64))).toBe(true);
  expect(resumeTokenMatches("short", "a".repeat(64))).toBe(false);
  expect(() => checkResumeToken("wrong", "a".repeat(64))).toThrow("Resume token mismatch.");
  expect(() => checkResumeToken(undefined, "a".repeat(64))).not.toThrow();
});

test("stored token falls back to .resume-token; a read error is exit 1", async () => {
  const dir = scratchDir();
  const file = join(dir, ".resume-token");
  expect(await storedResumeToken("abc", file, RUN)).toBe("abc");
  await expect(storedResumeToken("", file, RUN)).rejects.toThrow(`Resume token missing for run ${RUN}: `);
  writeFileSync(file, "  tok\n");
  expect(await storedResumeToken("", file, RUN)).toBe("tok");
});

test("an active run is refused unless stale or terminal", () => {
  const m = fakeManifest("t1", RUN, { status: "in_progress" }) as Manifest;
  expect(activeRunRefusal(m, { stale: false, age_seconds: 3.7 })).toBe(
    `Run ${RUN} is still active (last heartbeat 3s ago); pass --force to resume it anyway.`,
  );
  expect(activeRunRefusal(m, { stale: true, age_seconds: 40 })).toBeNull();
  expect(activeRunRefusal({ ...m, status: "failed" }, { stale: false, age_seconds: 1 })).toBeNull();
});

test("reset clears the failure lines and error files of the stages to rerun only", () => {
  const pipeline: PipelineDefinition = {
    id: "p", title: "P",
    stages: [
      { kind: "command", id: "first", title: "first", command: "x", allowFailure: false },
      { kind: "command", id: "fail once", title: "fail once", command: "x", allowFailure: false },
      { kind: "subpipeline", id: "child", title: "child", pipeline: "nope", optional: false },
    ],
  };
  const failed = { ...fakeEntry(2, "fail once", "failed", "Exited with code 3 — failing"), exit_code: 3, error_file: "e.json" };
  const sub = { ...fakeEntry(3, "child", "failed", "Execution error: Pipeline 'nope' not found."), kind: "subpipeline" };
  const manifest = fakeManifest("t1", RUN, {
    status: "failed", status_detail: "stage:fail once:failed",
    summary: ["Stage 'first' failed with exit code 9.", "Stage 'fail once' failed with exit code 3.", "Execution error: Pipeline 'nope' not found.", "Sub-pipeline 'nope' failed.", GUARDRAIL_MISSING, ...LEGACY_GUARDRAIL_LINES, "Guardrails: spec-guard command not found.", "Run cancelled by SIGTERM."].join("\n"),
    commands: [{ ...fakeEntry(1, "first", "succeeded", "first"), error_file: "keep.json" }, failed, sub],
  }) as Manifest;
  applyResumeReset(manifest, pipeline, { actor: "alice", reason: "retry", forced: false, now: new Date("2025-11-05T00:00:00.000Z") });
  expect(manifest.summary).toBe("Stage 'first' failed with exit code 9.");
  expect(manifest.commands.map((c) => c.error_file)).toEqual(["keep.json", null, null]);
  expect([manifest.status, manifest.status_detail, manifest.completed_at, manifest.metrics_recorded]).toEqual(["in_progress", "resuming", null, false]);
  expect(manifest.resume_events).toEqual([{ actor: "alice", reason: "retry", outcome: "accepted", timestamp: "2025-11-05T00:00:00.000Z" }]);
  applyResumeReset(manifest, pipeline, { actor: "cli", reason: "manual-resume", forced: true, now: new Date() });
  expect(manifest.resume_events[1]?.detail).toBe("forced");
});
