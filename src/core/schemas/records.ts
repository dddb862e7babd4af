import * as v from "valibot";
import { IsoTimestamp, NonNegativeInt, RunStatus } from "./common.ts";

/** One line of `<runs>/<task>/metrics.json` (SPEC §17.1). */
export const MetricsLine = v.looseObject({
  run_id: v.string(),
  task_id: v.string(),
  pipeline_id: v.string(),
  status: RunStatus,
  started_at: IsoTimestamp,
  completed_at: v.nullable(IsoTimestamp),
  duration_seconds: v.nullable(v.pipe(v.number(), v.minValue(0))),
  commands_passed: NonNegativeInt,
  commands_failed: NonNegativeInt,
  guardrails_present: v.boolean(),
  recorded_at: IsoTimestamp,
  artifact_path: v.string(),
  child_runs: NonNegativeInt,
  approval_reuse: v.optional(v.nullable(v.pipe(v.number(), v.minValue(0)))),
  command_latency_ms: v.optional(
    v.nullable(
      v.object({ p50: v.nullable(NonNegativeInt), p95: v.nullable(NonNegativeInt), max: v.nullable(NonNegativeInt) }),
    ),
  ),
});
export type MetricsLine = v.InferOutput<typeof MetricsLine>;

export const PlanItem = v.looseObject({ id: v.string(), description: v.string(), requires_cloud: v.boolean() });

/** The RunSummary of a pipeline run: `run-summary.json` and each `state.json` entry (SPEC §9.1). */
export const RunSummary = v.looseObject({
  taskId: v.string(),
  runId: v.string(),
  mode: v.literal("mcp"),
  plan: v.looseObject({ items: v.array(PlanItem), notes: v.optional(v.string()) }),
  build: v.looseObject({
    subtaskId: v.string(),
    artifacts: v.array(v.looseObject({ path: v.string(), description: v.string() })),
    mode: v.literal("mcp"),
    runId: v.string(),
    success: v.boolean(),
    notes: v.optional(v.string()),
  }),
  test: v.looseObject({
    subtaskId: v.string(),
    success: v.boolean(),
    reports: v.array(v.looseObject({ name: v.string(), status: v.string(), details: v.string() })),
    runId: v.string(),
  }),
  review: v.looseObject({
    summary: v.string(),
    decision: v.looseObject({ approved: v.boolean(), feedback: v.optional(v.string()) }),
  }),
  timestamp: IsoTimestamp,
});
export type RunSummary = v.InferOutput<typeof RunSummary>;

/** `<out>/<task>/state.json` (SPEC §17.2). */
export const TaskState = v.looseObject({
  taskId: v.string(),
  lastRunAt: v.string(),
  runs: v.array(RunSummary),
});
export type TaskState = v.InferOutput<typeof TaskState>;

/** An error artifact `errors/NN-<slug>.json` (SPEC §9.5). */
export const ErrorArtifact = v.looseObject({
  run_id: v.string(),
  task_id: v.string(),
  command_index: v.number(),
  command_id: v.string(),
  command: v.nullable(v.string()),
  reason: v.picklist(["command-failed", "spawn-failed", "approval-denied", "sandbox-unavailable"]),
  details: v.looseObject({
    exit_code: v.nullable(v.number()),
    sandbox_state: v.string(),
    stderr: v.string(),
    signal: v.optional(v.string()),
    stdout_truncated: v.optional(v.literal(true)),
    stderr_truncated: v.optional(v.literal(true)),
    error: v.optional(v.string()),
  }),
  created_at: IsoTimestamp,
});
export type ErrorArtifact = v.InferOutput<typeof ErrorArtifact>;
