import type { CancelSignal } from "../core/cancel-signal.ts";
import { setTimeout as sleep } from "node:timers/promises";
import { RunFailedError } from "../core/errors.ts";
import { readActivity } from "../run/activity.ts";
import { pidIsAlive } from "../platform/pid.ts";
import type { StoreRoots } from "../run/paths.ts";
import { readRunOwner } from "../run/run-owner.ts";
import { findRun, reloadRun } from "../run/run-lookup.ts";
import { finalizeAbandonedRun } from "./abandoned-run.ts";

export type CancelOutcome = { runId: string; pid: number | null; status: string; ended: boolean; abandoned: boolean };

const ACTIVE = new Set(["queued", "in_progress"]);

/**
 * `cancel` (SPEC §5.8): the same outcome as SIGTERM to the process running the run. Unknown run → exit 2 (from the
 * lookup); a finished run → exit 1; else SIGTERM, then wait up to `waitMs` for the run to reach a final status. A run
 * whose process is gone (its recorded pid dead, or its heartbeat stale) cannot be signalled: its record is closed
 * `cancelled` with the reason instead (issue 22.6), so that no run stays `in_progress` after its owner.
 */
export async function cancelRun(
  roots: StoreRoots,
  runIdInput: string,
  options: {
    task?: string | undefined;
    env: Record<string, string | undefined>;
    waitMs?: number;
    signal?: CancelSignal;
    warn?: (message: string) => void;
  },
): Promise<CancelOutcome> {
  let run = await findRun(roots, runIdInput, options);
  const m = run.manifest;
  if (!ACTIVE.has(m.status)) throw new RunFailedError(`Run ${m.run_id} is not active (status ${m.status}).`);
  const activity = await readActivity(m, run.files.heartbeat);
  const pid = readRunOwner(run.files.dir);
  const alive = pid !== null && pidIsAlive(pid);
  if (activity.stale || (pid !== null && !alive)) {
    const age = activity.age_seconds === null ? "unknown" : `${Math.floor(activity.age_seconds)}s`;
    const owner = pid === null ? "no owner recorded" : alive ? `pid ${pid} no longer heartbeating` : `pid ${pid} is gone`;
    const reason = `its process had ended without finishing it (${owner}; last heartbeat ${age} ago)`;
    const store = await finalizeAbandonedRun(roots, run, reason, options.warn ?? (() => undefined));
    return { runId: m.run_id, pid, status: store.manifest.status, ended: true, abandoned: true };
  }
  if (pid === null) {
    throw new RunFailedError(`Run ${m.run_id} has no recorded process yet and a fresh heartbeat; try again in a moment.`);
  }
  process.kill(pid, options.signal ?? "SIGTERM");
  const deadline = Date.now() + (options.waitMs ?? 15_000);
  while (Date.now() < deadline) {
    await sleep(100);
    run = await reloadRun(run).catch(() => run);
    if (!ACTIVE.has(run.manifest.status) && run.manifest.metrics_recorded) break;
  }
  return { runId: m.run_id, pid, status: run.manifest.status, ended: !ACTIVE.has(run.manifest.status), abandoned: false };
}
