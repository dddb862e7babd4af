import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { OrchestratorEvent } from "../../src/core/schemas/events.ts";
import { runResume } from "../../src/pipeline/resume-run.ts";
import { executableDir, stageBaseEnv } from "../../src/pipeline/run-context.ts";
import { runStart } from "../../src/pipeline/start-run.ts";
import { cliEnv } from "../helpers/cli.ts";
import { specWorkspace } from "./fixture.ts";

const flagged = (id: string, flag: string) => ({
  kind: "command",
  id,
  title: id,
  command: `if [ -f ${flag} ]; then echo "${id} broke" >&2; exit 7; fi; echo ${id} ok`,
});

const CONFIG = {
  pipelines: [
    { id: "two", title: "Two", stages: [flagged("a", "a.flag"), flagged("b", "b.flag"), { kind: "command", id: "c", title: "c", command: "echo c" }] },
    { id: "nested", title: "Nested", stages: [{ kind: "subpipeline", id: "inner", title: "inner", pipeline: "two" }] },
  ],
};

function envFor(w: string): Record<string, string> {
  return cliEnv({ CODEX_ORCHESTRATOR_ROOT: w });
}

function manifest(w: string, runId: string) {
  return JSON.parse(readFileSync(join(w, ".runs/t1/cli", runId, "manifest.json"), "utf8"));
}

describe("executor in process (SPEC §9.2)", () => {
  test("events: stage:begin/end around each stage, child stages nested inside their sub-pipeline stage", async () => {
    const w = specWorkspace(CONFIG);
    const seen: OrchestratorEvent[] = [];
    const result = await runStart(
      { env: envFor(w), cwd: w, pipeline: "nested", notify: [] },
      { prepared: (inv) => void inv.events.subscribe((e) => void seen.push(e)) },
    );
    expect([result.exitCode, result.status]).toEqual([0, "succeeded"]);
    const stages = seen.filter((e) => e.type.startsWith("stage:")).map((e) => `${e.type}:${(e.payload as { stageId: string }).stageId}`);
    expect(stages).toEqual([
      "stage:begin:inner",
      "stage:begin:a",
      "stage:end:a",
      "stage:begin:b",
      "stage:end:b",
      "stage:begin:c",
      "stage:end:c",
      "stage:end:inner",
    ]);
    expect(seen.at(-1)?.type).toBe("run:summary");
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1));
  });

  test("resume: a rerun stage that fails again leaves older failures after it pending", async () => {
    const w = specWorkspace(CONFIG);
    writeFileSync(join(w, "b.flag"), "");
    const first = await runStart({ env: envFor(w), cwd: w, pipeline: "two", notify: [] });
    expect(first.exitCode).toBe(1);
    let m = manifest(w, first.runId);
    expect(m.commands.map((c: { status: string }) => c.status)).toEqual(["succeeded", "failed", "pending"]);
    // Pretend stage a had failed too, and make it fail for real on the rerun.
    m.commands[0].status = "failed";
    writeFileSync(join(w, ".runs/t1/cli", first.runId, "manifest.json"), JSON.stringify(m, null, 2));
    writeFileSync(join(w, "a.flag"), "");
    const again = await runResume({ env: envFor(w), cwd: w, runId: first.runId, actor: "t", reason: "r", force: false, notify: [] });
    expect([again.exitCode, again.status]).toEqual([1, "failed"]);
    m = manifest(w, first.runId);
    expect(m.status_detail).toBe("stage:a:failed");
    expect(m.commands.map((c: { status: string }) => c.status)).toEqual(["failed", "pending", "pending"]);
    expect([m.commands[1].exit_code, m.commands[1].summary, m.commands[1].error_file]).toEqual([null, null, null]);
    expect(m.summary.split("\n")[0]).toBe("Stage 'a' failed with exit code 7.");
    expect(m.summary).not.toContain("Stage 'b' failed");
    const last = readFileSync(join(w, ".runs/t1/metrics.json"), "utf8").trim().split("\n").at(-1) as string;
    expect(JSON.parse(last)).toMatchObject({ status: "failed", commands_passed: 0, commands_failed: 1 });
  });
});

describe("stage environment (SPEC §6.2, §24.1)", () => {
  test("the executable's directory goes first on PATH; not when running from source", () => {
    expect(executableDir("/opt/co/bin/codex-orchestrator")).toBe("/opt/co/bin");
    expect(executableDir("/usr/local/bin/bun")).toBeNull();
    expect(stageBaseEnv({ PATH: "/usr/bin", X: "1", U: undefined }, "/opt/co/bin")).toEqual({ PATH: "/opt/co/bin:/usr/bin", X: "1" });
    expect(stageBaseEnv({}, "/opt/co/bin").PATH).toBe("/opt/co/bin");
    expect(stageBaseEnv({ PATH: "/usr/bin" }, null).PATH).toBe("/usr/bin");
  });
});
