import { RunFailedError } from "../core/errors.ts";
import { appendSummary } from "../core/summary.ts";
import { ManifestStore } from "../run/manifest-store.ts";
import { buildMetricsLine, tryAppendMetricsLine } from "../run/metrics-file.ts";
import type { StoreRoots } from "../run/paths.ts";
import { lockRun } from "../run/run-lock.ts";
import { removeRunOwner } from "../run/run-owner.ts";
import type { FoundRun } from "../run/run-lookup.ts";
import { runMetrics } from "./run-metrics.ts";

/** `status_detail` of a run closed by `cancel` after its owner died (additive to SPEC §8.3). */
export const ABANDONED_DETAIL = "cancelled:abandoned";

/**
 * Closes the record of a run whose process is gone (issue 22.6: `kill -9`, a crashed host): `cancel` of a stale run.
 * Nothing is signalled — there is no one to signal. The entry that was running becomes `cancelled`, the run
 * `cancelled` with `cancelled:abandoned` and a summary line giving the reason, then its metrics line is appended so
 * the task's counts include it. Held under the run's resume lock, so a resumer cannot start on it meanwhile.
 */
export async function finalizeAbandonedRun(
  roots: StoreRoots,
  run: FoundRun,
  reason: string,
  warn: (message: string) => void,
): Promise<ManifestStore> {
  const lock = await lockRun(run.files, run.runId, () => `Run ${run.runId} is being resumed by another process; not cancelled.`);
  try {
    const store = await ManifestStore.open(run.files.manifest);
    const m = store.manifest;
    if (m.status !== "queued" && m.status !== "in_progress") {
      throw new RunFailedError(`Run ${m.run_id} is not active (status ${m.status}).`);
    }
    const now = new Date().toISOString();
    for (const entry of m.commands) {
      if (entry.status !== "running") continue;
      entry.status = "cancelled";
      entry.completed_at = now;
    }
    m.status = "cancelled";
    m.status_detail = ABANDONED_DETAIL;
    m.summary = appendSummary(m.summary, `Run cancelled: ${reason}.`);
    m.completed_at = now;
    m.metrics = runMetrics(m.toolRuns);
    await store.save();
    if (!m.metrics_recorded) {
      if (await tryAppendMetricsLine(roots, buildMetricsLine(m, new Date()), warn)) m.metrics_recorded = true;
      await store.save();
    }
    removeRunOwner(run.files.dir);
    return store;
  } finally {
    await lock.release().catch(() => undefined);
  }
}
