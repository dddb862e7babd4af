import type { OrchestratorEvent, RunSummaryPayload } from "../core/schemas/events.ts";
import { notifyRunSummary } from "../telemetry/notifications.ts";
import type { FinalStatus } from "./finalize.ts";
import type { ActiveRun } from "./run-context.ts";

/** The `run:summary` payload of a pipeline run (SPEC §15.4): no result/command/outputs/toolRun, one item per stage. */
export function pipelineSummaryPayload(run: ActiveRun, status: FinalStatus): RunSummaryPayload {
  const m = run.store.manifest;
  return {
    status,
    run: {
      id: m.run_id,
      taskId: m.task_id,
      pipelineId: m.pipeline_id,
      manifest: `${m.artifact_root}/manifest.json`,
      artifactRoot: m.artifact_root,
      summary: m.summary,
    },
    result: null,
    command: null,
    outputs: null,
    logs: { runner: m.log_path, command: null },
    toolRun: null,
    stages: m.commands.map((c) => ({
      index: c.index,
      id: c.id,
      title: c.title,
      kind: c.kind,
      status: c.status,
      exit_code: c.exit_code,
      summary: c.summary,
    })),
    notifications: { targets: [], delivered: [], failures: [] },
    metrics: m.metrics,
    runId: m.run_id,
  };
}

/**
 * Notifications of a top-level `start`/`resume` run (SPEC §19): the `run:summary` event is built, sent to the targets
 * whose filter accepts the status, and its `notifications` (and the manifest's) filled in. Returns the event, which
 * `--format jsonl` prints last.
 */
export async function notifyPipelineRun(run: ActiveRun, status: FinalStatus): Promise<OrchestratorEvent> {
  const { invocation } = run.host;
  const payload = pipelineSummaryPayload(run, status);
  const event = invocation.events.envelope("run:summary", payload);
  if (invocation.notifyTargets.length > 0) {
    const record = await notifyRunSummary(invocation.notifyTargets, event, {
      repo: invocation.roots.repo,
      warn: invocation.logger.plain,
      env: invocation.env,
    });
    // The event's payload, not `payload`: the stream may have made a redacted copy.
    event.payload.notifications = record;
    if (record.targets.length > 0) {
      run.store.manifest.notifications = record;
      await run.store.save();
    }
  }
  return event;
}
