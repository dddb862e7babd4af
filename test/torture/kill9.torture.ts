/**
 * kill -9 of the orchestrator at random moments during `start` (a multi-stage pipeline with a sub-pipeline) and
 * during `exec` (output flowing). Afterwards: every manifest validates, `status` reports every run (stale once its
 * heartbeat is old), `resume` completes every killed `start` run, and the store stays consistent.
 * The schedule is seeded (`TORTURE_SEED`); the seed is printed so a failure can be replayed.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkStore, leftovers, markedProcesses, newMarker, reap, runCli, seededRandom, spawnCli, suiteSeed, tortureEnv } from "./harness.ts";
import { ageHeartbeat, tortureWorkspace } from "./workspace.ts";

const KILLS = Number(process.env.TORTURE_KILLS ?? 22);
const seed = suiteSeed();
const random = seededRandom(seed);
console.log(`[torture] kill -9 schedule seed ${seed} (replay with TORTURE_SEED=${seed}), ${KILLS} kills per command`);

const EXEC_COMMAND = ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do seq 1 3000; echo err $i >&2; sleep 0.04; done"];

/** Figures reported by the suite (and copied into docs/reliability.md). */
const figures: Record<string, unknown> = {};
afterAll(() => console.log(`[torture] kill -9 figures: ${JSON.stringify(figures)}`));

type Kill = { delayMs: number; finishedFirst: boolean; orphans: number };

/** Spawns `args`, SIGKILLs the CLI after a random delay in [0, 1.15 × calibrated duration], reaps what it left. */
async function killLoop(w: string, args: string[], marker: string, calibratedMs: number): Promise<Kill[]> {
  const kills: Kill[] = [];
  for (let i = 0; i < KILLS; i += 1) {
    const delayMs = Math.round(random() * calibratedMs * 1.15);
    const run = spawnCli(args, { cwd: w, env: tortureEnv(w, marker) });
    await Bun.sleep(delayMs);
    const finishedFirst = run.proc.exitCode !== null;
    run.proc.kill("SIGKILL");
    await run.done;
    // Stage processes survive the orchestrator's death (a known bug, see "no process left behind" below); remove
    // them so the next kill and the resumes below start clean.
    const orphans = await reap(marker);
    kills.push({ delayMs, finishedFirst, orphans });
  }
  return kills;
}

async function statusOf(w: string, runId: string, marker: string) {
  const r = await runCli(["status", runId, "--format", "json"], { cwd: w, env: tortureEnv(w, marker) });
  expect({ runId, code: r.code, stderr: r.stderr }).toEqual({ runId, code: 0, stderr: "" });
  return JSON.parse(r.stdout) as { run_id: string; status: string; activity: { stale: boolean; age_seconds: number | null } };
}

/** Calibration: one undisturbed run, which must succeed; its duration bounds the kill moments. */
async function calibrate(w: string, args: string[], marker: string): Promise<number> {
  const r = await runCli(args, { cwd: w, env: tortureEnv(w, marker) });
  expect(r.code).toBe(0);
  return r.ms;
}

/** `status` of every run before and after its heartbeat is aged past the 30 s stale limit. */
async function checkStatusAndStaleness(w: string, marker: string): Promise<{ inFlight: number; terminal: number }> {
  const store = checkStore(join(w, ".runs"));
  let inFlight = 0;
  let terminal = 0;
  for (const path of store.manifests) {
    const m = JSON.parse(readFileSync(path, "utf8"));
    const live = m.status === "queued" || m.status === "in_progress";
    const before = await statusOf(w, m.run_id, marker);
    expect([before.run_id, before.status]).toEqual([m.run_id, m.status]);
    ageHeartbeat(join(path, ".."), 45);
    const after = await statusOf(w, m.run_id, marker);
    expect({ run: m.run_id, status: after.status, stale: after.activity.stale }).toEqual({ run: m.run_id, status: m.status, stale: live });
    expect(after.activity.age_seconds).toBeGreaterThan(30);
    if (live) inFlight += 1;
    else terminal += 1;
  }
  return { inFlight, terminal };
}

describe("kill -9 at random moments", () => {
  test(`during start: ${KILLS} kills; manifests valid, status right (stale when old), resume completes every run`, async () => {
    const w = tortureWorkspace();
    const marker = newMarker();
    const calibratedMs = await calibrate(w, ["start", "torture"], marker);
    const before = new Set(checkStore(join(w, ".runs")).manifests);
    const kills = await killLoop(w, ["start", "torture"], marker, calibratedMs);

    const store = checkStore(join(w, ".runs"));
    const { inFlight, terminal } = await checkStatusAndStaleness(w, marker);

    // Resume every killed top-level run (children are re-created by their parent's resume). A run that had already
    // succeeded when the kill came (the CLI exited before it, or was killed after its final save) is not resumable
    // (issue 22.5, SPEC §12 step 5): resume refuses it with one line and leaves its record as it was.
    const top = store.manifests
      .filter((p) => !before.has(p))
      .map((p) => JSON.parse(readFileSync(p, "utf8")))
      .filter((m) => m.parent_run_id === null);
    const succeededFirst = top.filter((m) => m.status === "succeeded");
    const killed = top.filter((m) => m.status !== "succeeded");
    for (const m of succeededFirst) {
      const manifestPath = join(w, m.artifact_root, "manifest.json");
      const recorded = readFileSync(manifestPath, "utf8");
      const r = await runCli(["resume", m.run_id], { cwd: w, env: tortureEnv(w, marker) });
      expect({ run: m.run_id, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
        run: m.run_id,
        code: 1,
        stdout: "",
        stderr: `Run ${m.run_id} already succeeded; there is nothing to resume.\n`,
      });
      expect(readFileSync(manifestPath, "utf8")).toBe(recorded);
    }
    for (const m of killed) {
      const r = await runCli(["resume", m.run_id], { cwd: w, env: tortureEnv(w, marker) });
      expect({ run: m.run_id, code: r.code, stdout: r.stdout }).toEqual({
        run: m.run_id,
        code: 0,
        stdout: `Run resumed: ${m.run_id}\nStatus: succeeded\n`,
      });
      const after = await statusOf(w, m.run_id, marker);
      expect([after.status, after.activity.stale]).toEqual(["succeeded", false]);
    }
    const final = checkStore(join(w, ".runs"));
    for (const m of killed) {
      const doc = JSON.parse(readFileSync(join(w, m.artifact_root, "manifest.json"), "utf8"));
      expect(doc.commands.map((c: { status: string }) => c.status)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
      expect([doc.metrics_recorded, doc.started_at, doc.resume_events.length]).toEqual([true, m.started_at, 1]);
      // Resume re-finalizes: exactly one new line (a run killed after its own line already had one, SPEC §12).
      const lines = (r: typeof final) => r.metrics.filter((l) => l.run_id === m.run_id);
      expect(lines(final).length).toBe(lines(store).length + 1);
      expect(lines(final).at(-1)?.status).toBe("succeeded");
    }
    // state.json: every resumed run exactly once.
    const state = JSON.parse(readFileSync(join(w, "out/t1/state.json"), "utf8"));
    const ids: string[] = state.runs.map((r: { runId: string }) => r.runId);
    for (const m of killed) expect(ids.filter((id) => id === m.run_id)).toHaveLength(1);
    for (const m of succeededFirst) expect(ids.filter((id) => id === m.run_id).length).toBeLessThanOrEqual(1);
    expect(await leftovers(marker)).toEqual([]);

    Object.assign(figures, {
      start: {
        calibratedMs: Math.round(calibratedMs),
        kills: kills.length,
        finishedBeforeKill: kills.filter((k) => k.finishedFirst).length,
        manifests: store.manifests.length,
        inFlightWhenKilled: inFlight,
        terminalWhenKilled: terminal,
        runDirsWithoutManifest: store.runDirsWithoutManifest.length,
        tempFilesLeft: store.tempFiles.length,
        resumed: killed.length,
        succeededBeforeKill: succeededFirst.length,
        orphanProcessesReaped: kills.reduce((n, k) => n + k.orphans, 0),
      },
    });
  }, 300_000);

  test(`during exec with output flowing: ${KILLS} kills; manifests valid, status right, stale when old`, async () => {
    const w = tortureWorkspace();
    const marker = newMarker();
    const args = ["exec", "--jsonl", "--", ...EXEC_COMMAND];
    const calibratedMs = await calibrate(w, args, marker);
    const kills = await killLoop(w, args, marker, calibratedMs);
    const store = checkStore(join(w, ".runs"));
    const { inFlight, terminal } = await checkStatusAndStaleness(w, marker);
    // Every metrics line belongs to a run whose manifest is terminal (a line is written only at the end).
    for (const line of store.metrics) expect(["succeeded", "failed", "cancelled"]).toContain(line.status);
    expect(await leftovers(marker)).toEqual([]);
    Object.assign(figures, {
      exec: {
        calibratedMs: Math.round(calibratedMs),
        kills: kills.length,
        manifests: store.manifests.length,
        inFlightWhenKilled: inFlight,
        terminalWhenKilled: terminal,
        runDirsWithoutManifest: store.runDirsWithoutManifest.length,
        tempFilesLeft: store.tempFiles.length,
        orphanProcessesReaped: kills.reduce((n, k) => n + k.orphans, 0),
      },
    });
  }, 300_000);
});

describe("kill -9 leaves no process behind", () => {
  // Known bug (docs/reliability.md, B1): the command runs in its own process group, so when the orchestrator dies
  // by SIGKILL nothing stops it; `resume` then starts the stage a second time beside the first.
  for (const [label, args] of [
    ["start", ["start", "hold"]],
    ["exec", ["exec", "--jsonl", "--", "sh", "-c", "echo holding; sleep 31.7"]],
  ] as const) {
    test(`${label}: the command dies with the orchestrator`, async () => {
      const w = tortureWorkspace();
      const marker = newMarker();
      const run = spawnCli([...args], { cwd: w, env: tortureEnv(w, marker) });
      // Wait until the command runs: a process of the marker that is not the CLI itself.
      const deadline = performance.now() + 15_000;
      while (performance.now() < deadline) {
        if (markedProcesses(marker, [run.proc.pid]).length > 0) break;
        await Bun.sleep(50);
      }
      run.proc.kill("SIGKILL");
      await run.done;
      const left = await leftovers(marker, 3_000);
      await reap(marker);
      expect(left).toEqual([]);
    }, 30_000);
  }
});
