import { guardrailCounts } from "../core/guardrails.ts";
import type { RunSummary } from "../core/schemas/records.ts";
import { appendSummary, guardrailRecommendation } from "../core/summary.ts";
import { outputDroppedLine } from "../run/run-log.ts";
import type { ActiveRun, ExecutorOutcome, FinalStatus } from "./run-context.ts";
import { runMetrics } from "./run-metrics.ts";

export type { FinalStatus };

/** A finished, recorded run. `crash` is the executor's own error message, if it crashed. */
export type RecordedRun = { status: FinalStatus; runSummary: RunSummary | null; crash: string | null };

/**
 * End of the executor, or of exec's one stage (SPEC §8.3, §10.2 step 2, §11.1, §13 step 3, §14.1 step 4): final status and detail, `Run cancelled by …`,
 * the guardrail recommendation, `completed_at`, manifest `metrics`; then the heartbeat stops and a forced beat saves
 * the manifest, so `.heartbeat` equals `heartbeat_at`.
 */
export async function finalizeRun(run: ActiveRun, outcome: ExecutorOutcome): Promise<FinalStatus> {
  const manifest = run.store.manifest;
  const signal = run.runtime.cancel.signal;
  const because = run.runtime.cancel.because;
  const now = new Date().toISOString();
  // An entry still `running` here belongs to a crashed executor: it did not finish.
  for (const entry of manifest.commands) {
    if (entry.status !== "running") continue;
    entry.status = signal ? "cancelled" : "failed";
    entry.completed_at = now;
  }
  let status: FinalStatus;
  if (signal !== null) {
    status = "cancelled";
    manifest.status_detail = `cancelled:${signal}`;
    manifest.summary = appendSummary(manifest.summary, because === null ? `Run cancelled by ${signal}.` : `Run cancelled: ${because}.`);
  } else if (outcome.failed || outcome.failureDetail !== null) {
    status = "failed";
    manifest.status_detail = outcome.failureDetail ?? "pipeline-failed";
  } else {
    status = "succeeded";
    manifest.status_detail = null;
  }
  manifest.status = status;
  manifest.completed_at = now;
  const dropped = outputDroppedLine(run.runtime.log.output);
  if (dropped !== null) manifest.summary = appendSummary(manifest.summary, dropped);
  // Guardrails are a pipeline's (SPEC §10.2): an exec run's one command is not looked at for them.
  const recommendation = run.exec === undefined ? guardrailRecommendation(guardrailCounts(manifest.commands)) : null;
  if (recommendation !== null) manifest.summary = appendSummary(manifest.summary, recommendation);
  manifest.metrics = runMetrics(manifest.toolRuns);
  await run.heartbeat.stop();
  // On a full disk this save frees space from the run's logs and retries once (ManifestStore.withRoom), so that the
  // manifest still reaches its final status; a save that fails anyway is the run's store fault, reported at the end.
  // Its fsync runs in the background, beside those of `run-summary.json` and the metrics line (`writeSummaryAndMetrics`
  // waits for it), and the run's close waits for it in any case.
  await run.runtime.log.tolerate(run.store.withRoom(run.store.files.manifest, 0, () => run.heartbeat.force({ syncAfter: true })));
  return status;
}
