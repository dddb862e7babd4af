import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { MetricsLine } from "../../src/core/schemas/records.ts";
import type { Manifest } from "../../src/core/schemas/manifest.ts";
import { appendMetricsLine, buildMetricsLine, tryAppendMetricsLine } from "../../src/run/metrics-file.ts";
import { useTempDirs } from "./fixtures/temp.ts";

const tempDir = useTempDirs();
const FIXTURE = join(import.meta.dir, "fixtures/append-metrics.ts");

function manifestWith(overrides: Partial<Manifest>): Manifest {
  return {
    run_id: "2025-11-04T02-45-12-345Z-abcdef01",
    task_id: "t1",
    pipeline_id: "simple",
    status: "failed",
    started_at: "2025-11-04T02:45:12.345Z",
    completed_at: "2025-11-04T02:45:14.845Z",
    artifact_root: ".runs/t1/cli/2025-11-04T02-45-12-345Z-abcdef01",
    child_runs: [{ run_id: "c", pipeline_id: "p", status: "succeeded", manifest: "m" }],
    metrics: null,
    commands: [
      { command: "echo", status: "succeeded" },
      { command: "codex-orchestrator spec-guard --dry-run", status: "succeeded" },
      { command: "x", status: "failed" },
      { command: "y", status: "skipped" },
      { command: "z", status: "cancelled" },
      { command: null, status: "pending" },
    ],
    ...overrides,
  } as unknown as Manifest;
}

describe("buildMetricsLine", () => {
  test("fields and key order of §17.1", () => {
    const line = buildMetricsLine(manifestWith({}), new Date("2025-11-04T02:45:15.000Z"));
    expect(v.safeParse(MetricsLine, line).success).toBe(true);
    expect(Object.keys(line).slice(0, 13)).toEqual([
      "run_id",
      "task_id",
      "pipeline_id",
      "status",
      "started_at",
      "completed_at",
      "duration_seconds",
      "commands_passed",
      "commands_failed",
      "guardrails_present",
      "recorded_at",
      "artifact_path",
      "child_runs",
    ]);
    expect(line).toMatchObject({
      duration_seconds: 2.5,
      commands_passed: 2,
      commands_failed: 1,
      guardrails_present: true,
      recorded_at: "2025-11-04T02:45:15.000Z",
      artifact_path: ".runs/t1/cli/2025-11-04T02-45-12-345Z-abcdef01",
      child_runs: 1,
    });
  });
  test("unparsable or missing completion → duration null; negative → 0", () => {
    expect(buildMetricsLine(manifestWith({ completed_at: null }), new Date()).duration_seconds).toBeNull();
    expect(buildMetricsLine(manifestWith({ completed_at: "nope" }), new Date()).duration_seconds).toBeNull();
    expect(
      buildMetricsLine(manifestWith({ completed_at: "2025-11-04T02:45:10.000Z" }), new Date()).duration_seconds,
    ).toBe(0);
  });
  test("guardrails_present is false without a succeeded guardrail command", () => {
    const commands = [{ command: "sh scripts/spec-guard.sh", status: "failed" }] as Manifest["commands"];
    expect(buildMetricsLine(manifestWith({ commands }), new Date()).guardrails_present).toBe(false);
  });
});

describe("metrics.json appends", () => {
  test("one compact line per append; the lock is gone afterwards", async () => {
    const runs = tempDir();
    const line = buildMetricsLine(manifestWith({}), new Date());
    await appendMetricsLine({ runs }, "t1", line);
    await appendMetricsLine({ runs }, "t1", line);
    const text = readFileSync(join(runs, "t1/metrics.json"), "utf8");
    expect(text).toBe(`${JSON.stringify(line)}\n${JSON.stringify(line)}\n`);
    expect(existsSync(join(runs, "t1/metrics.json.lock"))).toBe(false);
  });

  test("8 concurrent processes: exactly every line, each whole and valid", async () => {
    const runs = tempDir();
    const workers = 8;
    const perWorker = 3;
    const children = Array.from({ length: workers }, (_, w) =>
      Bun.spawn([process.execPath, "run", FIXTURE, runs, "t1", String(w), String(perWorker)], {
        stdout: "pipe",
        stderr: "pipe",
      }),
    );
    const codes = await Promise.all(children.map((c) => c.exited));
    const errors = await Promise.all(children.map((c) => new Response(c.stderr).text()));
    expect({ codes, errors: errors.filter(Boolean) }).toEqual({ codes: Array(workers).fill(0), errors: [] });
    const lines = readFileSync(join(runs, "t1/metrics.json"), "utf8").split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.length).toBe(workers * perWorker);
    const ids = lines.map((l) => {
      const parsed = JSON.parse(l) as MetricsLine & { padding: string };
      expect(v.safeParse(MetricsLine, parsed).success).toBe(true);
      expect(parsed.padding.length).toBe(20_000);
      return parsed.run_id;
    });
    expect(new Set(ids).size).toBe(workers * perWorker);
    expect(existsSync(join(runs, "t1/metrics.json.lock"))).toBe(false);
  }, 60_000);

  test("a busy lock gives the §17.1 warning and false", async () => {
    const runs = tempDir();
    const line = buildMetricsLine(manifestWith({}), new Date());
    await appendMetricsLine({ runs }, "t1", line);
    writeFileSync(join(runs, "t1/metrics.json.lock"), `${process.pid}\n`);
    const warnings: string[] = [];
    const ok = await tryAppendMetricsLine({ runs }, line, (m) => warnings.push(m), { sleep: async () => {} });
    expect(ok).toBe(false);
    expect(warnings).toEqual([
      `Metrics line not recorded for task t1 (run ${line.run_id}): Failed to acquire metrics lock for t1 after 5 attempts`,
    ]);
    expect(readFileSync(join(runs, "t1/metrics.json"), "utf8").split("\n").length).toBe(2);
  });
});
