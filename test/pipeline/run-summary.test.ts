import { expect, test } from "bun:test";
import type { PipelineDefinition } from "../../src/core/schemas/config.ts";
import type { Manifest } from "../../src/core/schemas/manifest.ts";
import { buildRunSummary, reviewSummary } from "../../src/pipeline/run-summary.ts";
import { fakeEntry, fakeManifest } from "./fixture.ts";

const RUN = "2025-11-04T02-45-12-345Z-abcdef01";
const pipeline: PipelineDefinition = {
  id: "p", title: "P", description: "About P",
  stages: [{ kind: "command", id: "a", title: "A", command: "echo a", allowFailure: false }],
};

test("RunSummary of a successful run without a guardrail", () => {
  const manifest = fakeManifest("t1", RUN, { commands: [fakeEntry(1, "a", "succeeded", "a")] }) as Manifest;
  const s = buildRunSummary({ manifest, pipeline, notes: ["A: a"], now: new Date("2025-11-04T02:45:13.000Z") });
  expect(Object.keys(s)).toEqual(["taskId", "runId", "mode", "plan", "build", "test", "review", "timestamp"]);
  expect(s.plan).toEqual({ items: [{ id: "p:a", description: "A", requires_cloud: false }], notes: "About P" });
  expect(s.build).toEqual({
    subtaskId: "p:a",
    artifacts: [
      { path: `.runs/t1/cli/${RUN}/manifest.json`, description: "CLI run manifest" },
      { path: `.runs/t1/cli/${RUN}/runner.ndjson`, description: "Runner log (ndjson)" },
    ],
    mode: "mcp", runId: RUN, success: true, notes: "A: a",
  });
  expect(s.test).toEqual({ subtaskId: "p:a", success: false, reports: [{ name: "guardrails", status: "failed", details: "spec-guard step missing or failed" }], runId: RUN });
  expect(s.review).toEqual({
    summary: `Pipeline 'P' (p) succeeded.\nManifest: .runs/t1/cli/${RUN}/manifest.json\nRunner log: .runs/t1/cli/${RUN}/runner.ndjson`,
    decision: { approved: true, feedback: "A: a" },
  });
  expect(s.timestamp).toBe("2025-11-04T02:45:13.000Z");
});

test("a failed run with a passing guardrail and no notes", () => {
  const guard = { ...fakeEntry(1, "g", "succeeded", "ok"), command: "sh scripts/spec-guard.sh" };
  const manifest = fakeManifest("t1", RUN, { status: "failed", commands: [guard] }) as Manifest;
  const s = buildRunSummary({ manifest, pipeline: { ...pipeline, description: undefined }, notes: [], now: new Date() });
  expect("notes" in s.plan || "notes" in s.build || "feedback" in s.review.decision).toBe(false);
  expect(s.test.reports[0]?.status).toBe("passed");
  expect(s.test.success).toBe(false);
  expect(reviewSummary(manifest).split("\n")[0]).toBe("Pipeline 'P' (p) failed — inspect manifest for details.");
  const cancelled = fakeManifest("t1", RUN, { status: "cancelled", pipeline_title: "Quick checks", pipeline_id: "checks" }) as Manifest;
  expect(reviewSummary(cancelled).split("\n")[0]).toBe("Pipeline 'Quick checks' (checks) was cancelled — inspect manifest for details.");
});
