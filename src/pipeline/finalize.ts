import { guardrailCounts, guardrailsPresent } from "../core/guardrails.ts";
import type { RunSummary } from "../core/schemas/records.ts";
import { appendSummary, guardrailLine, guardrailRecommendation, upsertGuardrailLine } from "../core/summary.ts";
import { buildMetricsLine, tryAppendMetricsLine } from "../run/metrics-file.ts";
import { rel } from "../run/paths.ts";
import { outputDroppedLine } from "../run/run-log.ts";
import { writeRunSummaryFile } from "../run/run-summary-file.ts";
import { recordTaskState } from "../run/task-state.ts";
import type { ActiveRun, ExecutorOutcome, FinalStatus } from "./run-context.ts";
import { buildRunSummary } from "./run-summary.ts";
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
  await run.runtime.log.tolerate(run.store.withRoom(run.store.files.manifest, 0, () => run.heartbeat.force()));
  return status;
}

/**
 * SPEC §9.1 step 6 up to `state.json` (notifications and the telemetry flush are the top-level command's):
 * RunSummary → `run-summary.json` and `run_summary_path`; the metrics line, then the guardrail lines of
 * §10.2 step 3 and `metrics_recorded`; the task state entry. Bookkeeping failures are warnings, never the result.
 */
export async function recordRun(run: ActiveRun, notes: readonly string[]): Promise<Omit<RecordedRun, "crash">> {
  const { store } = run;
  const { log } = run.runtime;
  const { roots, logger } = run.host.invocation;
  const warn = log.quiet(logger.warn);
  const manifest = store.manifest;
  const runSummary = buildRunSummary({ manifest, pipeline: run.pipeline, notes, now: new Date() });
  // run-summary.json and the metrics line are independent fsync'd writes: done side by side (about 3 ms less per run,
  // measured); one save then covers `run_summary_path` and the metrics outcome.
  const summaryBytes = () => JSON.stringify(runSummary, null, 2).length;
  const writeSummary = () => log.tolerate(store.withRoom(store.files.runSummary, summaryBytes, () => writeRunSummaryFile(store.files.dir, runSummary)));
  const writeMetrics = async () => (manifest.metrics_recorded ? false : tryAppendMetricsLine(roots, buildMetricsLine(manifest, new Date()), warn));
  // After a store fault, one at a time: the summary's write frees space (if it must) before the metrics line needs it.
  const [path, recorded] =
    log.failure === null ? await Promise.all([writeSummary(), writeMetrics()]) : [await writeSummary(), await writeMetrics()];
  if (path !== null) manifest.run_summary_path = rel(roots, path);
  if (recorded) {
    const counts = guardrailCounts(manifest.commands);
    if (!guardrailsPresent(manifest.commands)) {
      const recommendation = guardrailRecommendation(counts);
      // Recorded, not printed (issue 22.8): a run without a spec guard has nothing to tell the terminal.
      if (recommendation !== null) manifest.summary = appendSummary(manifest.summary, recommendation);
    }
    manifest.summary = upsertGuardrailLine(manifest.summary, guardrailLine(counts));
    manifest.metrics_recorded = true;
  }
  await log.tolerate(store.save());
  await recordTaskState(roots, manifest.task_id, runSummary, { warn, error: warn });
  return { status: manifest.status as FinalStatus, runSummary };
}
