import { guardrailCounts, guardrailsPresent } from "../core/guardrails.ts";
import { appendSummary, guardrailLine, guardrailRecommendation, upsertGuardrailLine } from "../core/summary.ts";
import { writeSummaryAndMetrics } from "../run/summary-records.ts";
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
  // One save then covers `run_summary_path` and the metrics outcome.
  const recorded = await writeSummaryAndMetrics(store, log, roots, runSummary, warn, manifest.metrics_recorded);
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
