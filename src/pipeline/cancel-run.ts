import { setTimeout as sleep } from "node:timers/promises";
import { RunFailedError } from "../core/errors.ts";
import { readActivity } from "../run/activity.ts";
import { pidIsAlive } from "../platform/pid.ts";
import type { StoreRoots } from "../run/paths.ts";
import { readRunOwner } from "../run/run-owner.ts";
import { findRun, reloadRun } from "../run/run-lookup.ts";

export type CancelOutcome = { runId: string; pid: number; status: string; ended: boolean };

const ACTIVE = new Set(["queued", "in_progress"]);

/**
 * `cancel` (SPEC §5.8): the same outcome as SIGTERM to the process running the run. Unknown run → exit 2 (from the
 * lookup); a run that is not active (finished, stale, or with no live owner) → exit 1; else SIGTERM, then wait up to
 * `waitMs` for the run to reach a final status.
 */
export async function cancelRun(
  roots: StoreRoots,
  runIdInput: string,
  options: { task?: string | undefined; env: Record<string, string | undefined>; waitMs?: number; signal?: "SIGTERM" | "SIGINT" },
): Promise<CancelOutcome> {
  let run = await findRun(roots, runIdInput, options);
  const m = run.manifest;
  if (!ACTIVE.has(m.status)) throw new RunFailedError(`Run ${m.run_id} is not active (status ${m.status}).`);
  const activity = await readActivity(m, run.files.heartbeat);
  const pid = readRunOwner(run.files.dir);
  if (activity.stale || pid === null || !pidIsAlive(pid)) {
    throw new RunFailedError(`Run ${m.run_id} is not active (no live process; its heartbeat is ${activity.stale ? "stale" : "unknown"}).`);
  }
  process.kill(pid, options.signal ?? "SIGTERM");
  const deadline = Date.now() + (options.waitMs ?? 15_000);
  while (Date.now() < deadline) {
    await sleep(100);
    run = await reloadRun(run).catch(() => run);
    if (!ACTIVE.has(run.manifest.status) && run.manifest.metrics_recorded) break;
  }
  return { runId: m.run_id, pid, status: run.manifest.status, ended: !ACTIVE.has(run.manifest.status) };
}
