import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { MetricsLine, TaskState } from "../../src/core/schemas/records.ts";
import { runCli } from "../helpers/cli.ts";
import { specWorkspace } from "../pipeline/fixture.ts";
import { manifestOf, metricsLines, runIds } from "../helpers/runs.ts";

describe("concurrent runs on one task", () => {
  test("2 start + 8 exec at once: valid manifests, one metrics line per run, every pipeline run in state.json", async () => {
    const w = specWorkspace();
    const starts = [runCli(["start", "simple", "--format", "json"], { cwd: w }), runCli(["start", "parent", "--format", "json"], { cwd: w })];
    const execs = Array.from({ length: 8 }, (_, i) => runCli(["exec", "--json", "compact", "--", "sh", "-c", `echo ${i}`], { cwd: w }));
    const results = await Promise.all([...starts, ...execs]);
    for (const r of results) expect([r.code, r.stderr.includes("Failed to acquire")]).toEqual([0, false]);

    const ids = runIds(w);
    // 2 starts, the child run of `parent`, 8 execs.
    expect(ids).toHaveLength(11);
    const manifests = ids.map((id) => manifestOf(w, id));
    for (const m of manifests) {
      expect([m.status, m.metrics_recorded]).toEqual(["succeeded", true]);
      expect(existsSync(join(w, ".runs/t1/cli", m.run_id, ".heartbeat"))).toBe(true);
    }
    const lines = metricsLines(w);
    for (const line of lines) expect(v.is(MetricsLine, line)).toBe(true);
    expect(lines.map((l) => l.run_id).sort()).toEqual([...ids].sort());

    const state = JSON.parse(readFileSync(join(w, "out/t1/state.json"), "utf8"));
    expect(v.is(TaskState, state)).toBe(true);
    const pipelineRuns = manifests.filter((m) => m.pipeline_id !== "exec").map((m) => m.run_id);
    expect(pipelineRuns).toHaveLength(3);
    expect(state.runs.map((r: { runId: string }) => r.runId).sort()).toEqual(pipelineRuns.sort());
    expect(existsSync(join(w, ".runs/t1.lock")) || existsSync(join(w, ".runs/t1/metrics.json.lock"))).toBe(false);
  }, 60_000);
});
