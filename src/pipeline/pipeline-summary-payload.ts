import type { RunSummaryPayload } from "../core/schemas/events.ts";
import type { ActiveRun, FinalStatus } from "./run-context.ts";

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
