import { guardrailCounts, guardrailsPresent } from "../core/guardrails.ts";
import { appendSummary, guardrailLine, guardrailRecommendation, upsertGuardrailLine } from "../core/summary.ts";
import { buildMetricsLine, tryAppendMetricsLine } from "../run/metrics-file.ts";
import { rel } from "../run/paths.ts";
import { writeRunSummaryFile } from "../run/run-summary-file.ts";
import { recordTaskState } from "../run/task-state.ts";
import type { RecordedRun } from "./finalize.ts";
import type { ActiveRun, FinalStatus } from "./run-context.ts";
import { buildRunSummary } from "./run-summary.ts";

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
