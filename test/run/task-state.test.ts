import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunSummary } from "../../src/core/schemas/records.ts";
import { recordTaskState } from "../../src/run/task-state.ts";
import { useTempDirs } from "./fixtures/temp.ts";

const tempDir = useTempDirs();

function summary(runId: string, timestamp: string): RunSummary {
  return {
    taskId: "t1",
    runId,
    mode: "mcp",
    plan: { items: [] },
    build: { subtaskId: "p:s", artifacts: [], mode: "mcp", runId, success: true },
    test: { subtaskId: "p:s", success: false, reports: [], runId },
    review: { summary: "s", decision: { approved: true } },
    timestamp,
  };
}

function setup() {
  const base = tempDir();
  const roots = { runs: join(base, ".runs"), out: join(base, "out") };
  const messages: string[] = [];
  const logger = { warn: (m: string) => messages.push(`warn ${m}`), error: (m: string) => messages.push(`error ${m}`) };
  const statePath = join(roots.out, "t1/state.json");
  return { roots, messages, logger, statePath };
}

describe("state.json", () => {
  test("created, sorted by timestamp, same runId replaced; pretty without trailing newline; lock removed", async () => {
    const { roots, messages, logger, statePath } = setup();
    expect(await recordTaskState(roots, "t1", summary("b", "2025-01-02T00:00:00.000Z"), logger)).toBe(true);
    await recordTaskState(roots, "t1", summary("a", "2025-01-01T00:00:00.000Z"), logger);
    await recordTaskState(roots, "t1", summary("b", "2025-01-03T00:00:00.000Z"), logger);
    const text = readFileSync(statePath, "utf8");
    expect(text.endsWith("}")).toBe(true);
    const state = JSON.parse(text);
    expect(text).toBe(JSON.stringify(state, null, 2));
    expect(Object.keys(state)).toEqual(["taskId", "lastRunAt", "runs"]);
    expect(state.taskId).toBe("t1");
    expect(state.runs.map((r: RunSummary) => r.runId)).toEqual(["a", "b"]);
    expect(state.lastRunAt).toBe("2025-01-03T00:00:00.000Z");
    expect(messages).toEqual([]);
    expect(existsSync(join(roots.runs, "t1.lock"))).toBe(false);
  });

  test("a busy lock: the two warnings, state.json and the lock untouched", async () => {
    const { roots, messages, logger, statePath } = setup();
    await recordTaskState(roots, "t1", summary("a", "2025-01-01T00:00:00.000Z"), logger);
    const before = readFileSync(statePath, "utf8");
    const lockPath = join(roots.runs, "t1.lock");
    writeFileSync(lockPath, `${process.pid}\n`);
    const lockBefore = statSync(lockPath).mtimeMs;
    const ok = await recordTaskState(roots, "t1", summary("r9", "2025-01-02T00:00:00.000Z"), logger, {
      sleep: async () => {},
    });
    expect(ok).toBe(false);
    expect(messages).toEqual([
      "warn Task state snapshot skipped for task t1 (run r9): Failed to acquire task state lock for t1 after 5 attempts",
      "warn Task state snapshot not recorded for task t1 (run r9)",
    ]);
    expect(readFileSync(statePath, "utf8")).toBe(before);
    expect(readFileSync(lockPath, "utf8")).toBe(`${process.pid}\n`);
    expect(statSync(lockPath).mtimeMs).toBe(lockBefore);
  });

  test("a corrupted or foreign snapshot is kept aside and rebuilt from the task's run summaries (issue 22)", async () => {
    const { roots, messages, logger, statePath } = setup();
    mkdirSync(join(roots.out, "t1"), { recursive: true });
    // Two earlier runs left their summaries; an exec run's summary (a run:summary event) is not a RunSummary.
    for (const [id, at] of [["r1", "2025-01-01T00:00:00.000Z"], ["r2", "2025-01-02T00:00:00.000Z"]] as const) {
      mkdirSync(join(roots.runs, "t1", "cli", id), { recursive: true });
      writeFileSync(join(roots.runs, "t1", "cli", id, "run-summary.json"), JSON.stringify(summary(id, at)));
    }
    mkdirSync(join(roots.runs, "t1", "cli", "x1"), { recursive: true });
    writeFileSync(join(roots.runs, "t1", "cli", "x1", "run-summary.json"), '{"type":"run:summary","payload":{}}');
    writeFileSync(statePath, '{"taskId":"t1","runs":[{"persisted":***}]}');
    expect(await recordTaskState(roots, "t1", summary("r3", "2025-01-03T00:00:00.000Z"), logger)).toBe(true);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toStartWith(`warn Corrupted snapshot at ${statePath}: `);
    expect(messages[0]).toEndWith(`; rebuilt from 2 run summaries (the corrupt file is kept as ${statePath}.corrupt)`);
    expect(readFileSync(`${statePath}.corrupt`, "utf8")).toBe('{"taskId":"t1","runs":[{"persisted":***}]}');
    const rebuilt = JSON.parse(readFileSync(statePath, "utf8"));
    expect(rebuilt.runs.map((r: { runId: string }) => r.runId)).toEqual(["r1", "r2", "r3"]);
    expect(rebuilt.lastRunAt).toBe("2025-01-03T00:00:00.000Z");

    writeFileSync(statePath, JSON.stringify({ taskId: "other", lastRunAt: "", runs: [] }));
    expect(await recordTaskState(roots, "t1", summary("r4", "2025-01-04T00:00:00.000Z"), logger)).toBe(true);
    expect(messages[1]).toStartWith("warn Invalid snapshot contents for task t1; rebuilt from 2 run summaries");
    expect(JSON.parse(readFileSync(statePath, "utf8")).runs.map((r: { runId: string }) => r.runId)).toEqual(["r1", "r2", "r4"]);
    expect(existsSync(join(roots.runs, "t1.lock"))).toBe(false);
  });

  test("concurrent recorders in one process lose no entry", async () => {
    const { roots, logger, statePath } = setup();
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        recordTaskState(roots, "t1", summary(`r${i}`, `2025-01-0${i + 1}T00:00:00.000Z`), logger),
      ),
    );
    expect(JSON.parse(readFileSync(statePath, "utf8")).runs.length).toBe(6);
  });
});
