import { errorMessage } from "../core/errors.ts";
import { statusLabel } from "../core/summary.ts";
import type { SubpipelineStage } from "../core/schemas/config.ts";
import type { CommandEntry } from "../core/schemas/manifest.ts";
import { loadInstructions } from "../run/instructions.ts";
import { loadTaskMetadata } from "../run/task-metadata.ts";
import type { StageSpan } from "../telemetry/span-types.ts";
import { createPipelineRun, executeRun } from "./pipeline-run.ts";
import { findPipeline, pipelineNotFound, requireStages } from "./resolve.ts";
import type { CancelScope } from "./cancel-scope.ts";
import type { ActiveRun, StageOutcome } from "./run-context.ts";
import { reviewSummary } from "./run-summary.ts";

/**
 * A sub-pipeline stage (SPEC §9.6): a full child run in this process (same task, `parent_run_id` = this run), whose
 * `run` span is a child of the stage span. The parent entry takes the child's review summary and status
 * (`skipped` for an optional failure, `failed (allowed)` in its note); a child that cannot start or crashes is an `Execution error`.
 */
export async function runSubpipelineStage(
  parent: ActiveRun,
  def: SubpipelineStage,
  index: number,
  span: StageSpan,
  cancel: CancelScope,
): Promise<StageOutcome> {
  const { host, store } = parent;
  const { invocation } = host;
  const manifest = store.manifest;
  const entry = manifest.commands[index - 1] as CommandEntry;
  entry.command = null;
  entry.kind = "subpipeline";
  entry.status = "running";
  entry.started_at = new Date().toISOString();
  entry.completed_at = null;
  entry.exit_code = null;
  entry.summary = null;
  entry.sub_run_id = null;
  await store.save();

  let child: ActiveRun | null = null;
  let childStatus: string | null = null;
  let problem: string | null = null;
  try {
    const found = findPipeline(invocation.config?.config ?? null, def.pipeline);
    if (found === null) throw pipelineNotFound(def.pipeline);
    const { pipeline } = requireStages(found);
    const [metadata, instructions] = await Promise.all([
      loadTaskMetadata(invocation.roots.repo, invocation.taskId),
      loadInstructions(invocation.roots.repo),
    ]);
    child = await createPipelineRun(host, {
      pipeline,
      metadata,
      instructions,
      parentRunId: manifest.run_id,
      span: (runId) =>
        span.startChildRun({ runId, taskId: invocation.taskId, pipelineId: pipeline.id, command: host.command, parentRunId: manifest.run_id }),
      depth: parent.depth + 1,
      cancel,
    });
    entry.sub_run_id = child.store.manifest.run_id;
    const recorded = await executeRun(child);
    childStatus = recorded.status;
    problem = recorded.crash;
  } catch (error) {
    problem = errorMessage(error);
    if (child !== null) childStatus = await abandonChild(child, problem);
  }

  if (child !== null) {
    const m = child.store.manifest;
    manifest.child_runs.push({
      run_id: m.run_id,
      pipeline_id: m.pipeline_id,
      status: m.status,
      manifest: `${m.artifact_root}/manifest.json`,
    });
  }
  entry.completed_at = new Date().toISOString();
  let outcome: StageOutcome;
  if (problem !== null && childStatus !== "cancelled") {
    entry.summary = `Execution error: ${problem}`;
    entry.status = def.optional ? "skipped" : "failed";
    outcome = {
      status: entry.status,
      exitCode: null,
      summary: entry.summary,
      note: `${entry.title}: ${statusLabel(entry.status)}`,
      failure: def.optional ? null : { detail: `subpipeline:${def.pipeline}:error`, line: entry.summary },
    };
  } else {
    entry.summary = reviewSummary((child as ActiveRun).store.manifest);
    entry.status =
      childStatus === "succeeded" ? "succeeded" : childStatus === "cancelled" ? "cancelled" : def.optional ? "skipped" : "failed";
    outcome = {
      status: entry.status,
      exitCode: null,
      summary: entry.summary,
      note: `${entry.title}: ${statusLabel(entry.status)}`,
      failure:
        entry.status === "failed" ? { detail: `subpipeline:${def.pipeline}:failed`, line: `Sub-pipeline '${def.pipeline}' failed.` } : null,
    };
  }
  await store.save();
  return outcome;
}

/** A child whose execution threw after it was created is still finalized `failed` (best effort) and listed. */
async function abandonChild(child: ActiveRun, message: string): Promise<string> {
  const m = child.store.manifest;
  try {
    await child.heartbeat.stop();
    if (m.status === "queued" || m.status === "in_progress") {
      const signal = child.runtime.cancel.signal;
      m.status = signal ? "cancelled" : "failed";
      m.status_detail = signal ? `cancelled:${signal}` : "pipeline-failed";
      m.summary = m.summary === null ? `Execution error: ${message}` : `${m.summary}\nExecution error: ${message}`;
      m.completed_at = new Date().toISOString();
      await child.heartbeat.force();
    }
    child.runSpan.end({ status: m.status });
  } catch {
    // The parent's record of the failure matters more than the child's last save.
  }
  return m.status;
}
