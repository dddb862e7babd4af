import type { CommandEntry } from "../core/schemas/manifest.ts";
import { appendSummary, statusLabel } from "../core/summary.ts";
import { runPipelineCommandStage } from "./command-stage.ts";
import { isKept } from "./resume-reset.ts";
import type { ActiveRun, StageOutcome } from "./run-context.ts";

/** What the executor hands to finalization. */
export type ExecutorOutcome = {
  /** Stage notes in stage order (SPEC §9.1 step 3). */
  notes: string[];
  /** The `status_detail` of the failure that stopped the pipeline; null when none did. */
  failureDetail: string | null;
  /** A stage ended `failed` (the run fails) — also true with a detail of `pipeline-failed` kind. */
  failed: boolean;
};

/**
 * The executor (SPEC §9.2): runs each stage whose entry is not `succeeded`/`skipped`, in order, and stops at the first
 * failure that is not allowed or at cancellation. Stage failure lines go into the summary as they happen; the failure
 * detail is returned rather than stored, because heartbeat ticks clear `status_detail` while the run is in progress.
 */
export async function executeStages(run: ActiveRun): Promise<ExecutorOutcome> {
  const { store, pipeline } = run;
  const manifest = store.manifest;
  const events = run.host.invocation.events;
  const cancel = run.host.invocation.cancel;
  const notes: string[] = [];
  let failureDetail: string | null = null;
  let failed = false;
  let stoppedAt = -1;
  for (const [i, def] of pipeline.stages.entries()) {
    // Matched by id (issue 22.2): resume has refused a run whose stages no longer line up with the definition.
    const entry = manifest.commands[i];
    if (entry === undefined) continue;
    if (entry.id !== def.id) throw new Error(`stage '${def.id}' has no entry at position ${i + 1} (found '${entry.id}')`);
    if (isKept(entry)) {
      notes.push(`${entry.title}: ${statusLabel(entry.status)}`);
      continue;
    }
    if (cancel.cancelled) {
      stoppedAt = i;
      break;
    }
    const index = i + 1;
    entry.status = "pending";
    entry.started_at = new Date().toISOString();
    const began = performance.now();
    await events.emit("stage:begin", {
      index,
      stageId: def.id,
      title: entry.title,
      kind: def.kind,
      pipelineId: pipeline.id,
      runId: manifest.run_id,
    });
    const span = run.runSpan.startStage(def.id, { index, title: entry.title, kind: def.kind });
    let outcome: StageOutcome;
    try {
      outcome =
        def.kind === "command"
          ? await runPipelineCommandStage(run, def, index, span)
          : await run.host.runSubpipeline(run, def, index, span);
    } finally {
      span.end({ status: entry.status, exitCode: entry.exit_code });
    }
    await events.emit("stage:end", {
      index,
      stageId: def.id,
      status: outcome.status,
      exitCode: outcome.exitCode,
      summary: outcome.summary,
      durationMs: Math.max(0, Math.round(performance.now() - began)),
      pipelineId: pipeline.id,
      runId: manifest.run_id,
    });
    notes.push(outcome.note);
    if (outcome.status === "failed") failed = true;
    if (outcome.failure !== null) {
      manifest.summary = appendSummary(manifest.summary, outcome.failure.line);
      failureDetail = outcome.failure.detail;
      stoppedAt = i + 1;
      break;
    }
    if (outcome.status === "cancelled" || cancel.cancelled) {
      stoppedAt = i + 1;
      break;
    }
  }
  // Saved by finalization's forced heartbeat, which follows at once.
  if (stoppedAt >= 0) resetLaterEntries(manifest.commands.slice(stoppedAt));
  return { notes, failureDetail, failed };
}

/**
 * Entries after the stop point did not run in this execution: they are `pending` (SPEC §9.2, §13). On resume an
 * entry there may still show an older attempt's `failed`/`cancelled`; it is cleared so the counts stay true.
 */
function resetLaterEntries(entries: CommandEntry[]): void {
  for (const entry of entries) {
    if (isKept(entry) || entry.status === "pending") continue;
    entry.status = "pending";
    entry.started_at = null;
    entry.completed_at = null;
    entry.exit_code = null;
    entry.summary = null;
    entry.error_file = null;
  }
}
