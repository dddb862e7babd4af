/**
 * 32 concurrent runs on one task, `exec` and `start` mixed: exactly one valid metrics line per run, `state.json`
 * holding every start run once, no lock file left, every manifest valid, no process left.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { TaskState } from "../../src/core/schemas/records.ts";
import { checkStore, filesUnder, leftovers, newMarker, runCli, tortureEnv } from "./harness.ts";
import { tortureWorkspace } from "./workspace.ts";

const RUNS = 32;

test(`${RUNS} concurrent runs on one task (half exec, half start): no lost or broken metrics lines, state.json consistent, no locks left`, async () => {
  const w = tortureWorkspace();
  const marker = newMarker();
  const env = tortureEnv(w, marker);
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: RUNS }, (_, i) =>
      i % 2 === 0
        ? runCli(["exec", "--json", "compact", "--", "sh", "-c", `echo run ${i}; seq 1 2000`], { cwd: w, env })
        : runCli(["start", "quick", "--format", "json"], { cwd: w, env }),
    ),
  );
  const wallMs = performance.now() - started;
  for (const r of results) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });

  const execIds = results.filter((_, i) => i % 2 === 0).map((r) => JSON.parse(r.stdout).payload.run.id as string);
  const startIds = results.filter((_, i) => i % 2 === 1).map((r) => JSON.parse(r.stdout).run_id as string);
  const all = [...execIds, ...startIds];
  expect(new Set(all).size).toBe(RUNS);

  const store = checkStore(join(w, ".runs"));
  expect(store.manifests).toHaveLength(RUNS);
  expect([store.runDirsWithoutManifest, store.tempFiles]).toEqual([[], []]);
  // Exactly one line per run, each valid (checkStore validated every line).
  expect(store.metrics.map((l) => l.run_id).sort()).toEqual([...all].sort());
  for (const path of store.manifests) {
    const m = JSON.parse(readFileSync(path, "utf8"));
    expect([m.status, m.metrics_recorded]).toEqual(["succeeded", true]);
  }

  const state = JSON.parse(readFileSync(join(w, "out/t1/state.json"), "utf8"));
  expect(v.is(TaskState, state)).toBe(true);
  expect(state.runs.map((r: { runId: string }) => r.runId).sort()).toEqual([...startIds].sort());
  expect(state.lastRunAt).toBe(state.runs.at(-1).timestamp);

  const locks = [...filesUnder(join(w, ".runs")), ...filesUnder(join(w, "out"))].filter((f) => f.endsWith(".lock"));
  expect(locks).toEqual([]);
  expect(await leftovers(marker)).toEqual([]);
  console.log(`[torture] ${RUNS} concurrent runs: wall ${Math.round(wallMs)} ms, slowest ${Math.round(Math.max(...results.map((r) => r.ms)))} ms`);
}, 180_000);
