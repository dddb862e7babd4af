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

  test("corrupted JSON and a foreign taskId are errors, never thrown", async () => {
    const { roots, messages, logger, statePath } = setup();
    mkdirSync(join(roots.out, "t1"), { recursive: true });
    writeFileSync(statePath, "{nope");
    expect(await recordTaskState(roots, "t1", summary("r1", "2025-01-01T00:00:00.000Z"), logger)).toBe(false);
    expect(messages[0]).toStartWith(`error Task state snapshot failed for task t1 (run r1): Corrupted snapshot at ${statePath}: `);
    writeFileSync(statePath, JSON.stringify({ taskId: "other", lastRunAt: "", runs: [] }));
    await recordTaskState(roots, "t1", summary("r1", "2025-01-01T00:00:00.000Z"), logger);
    expect(messages[1]).toBe(
      "error Task state snapshot failed for task t1 (run r1): Invalid snapshot contents for task t1",
    );
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
