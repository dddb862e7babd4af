import * as v from "valibot";
import {
  IsoTimestamp,
  NonNegativeInt,
  NotificationsRecord,
  PositiveInt,
  RunMetrics,
  SandboxBackendName,
  SandboxState,
  ToolStatus,
} from "./common.ts";

/** The backend that enforced an attempt's sandbox (null: none in force) and the kernel's Landlock ABI (issue 15). */
const SandboxBackendField = v.optional(v.nullable(SandboxBackendName));
const LandlockAbiField = v.optional(v.nullable(PositiveInt));
import { EVENT_SCHEMA_VERSION } from "./event-version.ts";
import { ToolRunRecordWithEvents } from "./tool-run.ts";

export { EVENT_SCHEMA_VERSION };

export const ExecBeginPayload = v.looseObject({
  attempt: PositiveInt,
  correlationId: v.string(),
  command: v.string(),
  args: v.array(v.string()),
  cwd: v.string(),
  sessionId: v.string(),
  sandboxState: SandboxState,
  persisted: v.boolean(),
  argv: v.array(v.string()),
  sandboxBackend: SandboxBackendField,
  landlockAbi: LandlockAbiField,
  runId: v.string(),
  /** The stage's id (additive, issue 17: output of concurrent stages is told apart by it). */
  stageId: v.optional(v.string()),
  /** A stage cache hit replayed (additive, issue 18): the command did not run. */
  cached: v.optional(v.literal(true)),
});
export type ExecBeginPayload = v.InferOutput<typeof ExecBeginPayload>;

export const ChunkStream = v.picklist(["stdout", "stderr"]);
export type ChunkStream = v.InferOutput<typeof ChunkStream>;

export const ExecChunkPayload = v.looseObject({
  attempt: PositiveInt,
  correlationId: v.string(),
  stream: ChunkStream,
  sequence: PositiveInt,
  bytes: NonNegativeInt,
  data: v.string(),
  encoding: v.optional(v.literal("base64")),
  runId: v.string(),
  /** The stage's id (additive, issue 17: output of concurrent stages is told apart by it). */
  stageId: v.optional(v.string()),
});
export type ExecChunkPayload = v.InferOutput<typeof ExecChunkPayload>;

export const ExecRetryPayload = v.looseObject({
  attempt: PositiveInt,
  correlationId: v.string(),
  delayMs: NonNegativeInt,
  sandboxState: SandboxState,
  errorMessage: v.string(),
  runId: v.string(),
  /** The stage's id (additive, issue 17: output of concurrent stages is told apart by it). */
  stageId: v.optional(v.string()),
});
export type ExecRetryPayload = v.InferOutput<typeof ExecRetryPayload>;

export const ExecEndPayload = v.looseObject({
  attempt: PositiveInt,
  correlationId: v.string(),
  exitCode: v.nullable(v.pipe(v.number(), v.integer())),
  signal: v.nullable(v.string()),
  durationMs: NonNegativeInt,
  stdout: v.string(),
  stderr: v.string(),
  sandboxState: SandboxState,
  sessionId: v.string(),
  status: ToolStatus,
  spawnError: v.nullable(v.string()),
  timedOut: v.boolean(),
  sandboxBackend: SandboxBackendField,
  landlockAbi: LandlockAbiField,
  runId: v.string(),
  /** The stage's id (additive, issue 17: output of concurrent stages is told apart by it). */
  stageId: v.optional(v.string()),
  /** A stage cache hit replayed (additive, issue 18): the command did not run. */
  cached: v.optional(v.literal(true)),
});
export type ExecEndPayload = v.InferOutput<typeof ExecEndPayload>;

/** `stage:begin` / `stage:end` of `start --format jsonl` (additive event types). */
export const StageBeginPayload = v.looseObject({
  index: PositiveInt,
  stageId: v.string(),
  title: v.string(),
  kind: v.picklist(["command", "subpipeline"]),
  pipelineId: v.string(),
  runId: v.string(),
  /** The parent run of a child run's stage (additive, issue 17: concurrent sub-pipelines are told apart by it). */
  parentRunId: v.optional(v.nullable(v.string())),
});
export type StageBeginPayload = v.InferOutput<typeof StageBeginPayload>;

export const StageEndPayload = v.looseObject({
  index: PositiveInt,
  stageId: v.string(),
  status: v.string(),
  exitCode: v.nullable(v.number()),
  summary: v.nullable(v.string()),
  durationMs: NonNegativeInt,
  pipelineId: v.string(),
  runId: v.string(),
});
export type StageEndPayload = v.InferOutput<typeof StageEndPayload>;

export const SummaryRun = v.looseObject({
  id: v.string(),
  taskId: v.string(),
  pipelineId: v.string(),
  manifest: v.string(),
  artifactRoot: v.string(),
  summary: v.nullable(v.string()),
});

export const SummaryResult = v.looseObject({
  exitCode: v.nullable(v.number()),
  signal: v.nullable(v.string()),
  durationMs: NonNegativeInt,
  status: ToolStatus,
  sandboxState: SandboxState,
  correlationId: v.string(),
  attempts: PositiveInt,
  timedOut: v.boolean(),
  spawnError: v.nullable(v.string()),
  sandboxBackend: SandboxBackendField,
  landlockAbi: LandlockAbiField,
  /** Why the sandbox asked for was not in force: `unavailable` (nothing ran) or `--sandbox-fallback unsandboxed`. */
  sandboxReason: v.optional(v.nullable(v.string())),
});

export const SummaryCommand = v.looseObject({
  argv: v.array(v.string()),
  shell: v.string(),
  cwd: v.string(),
  sessionId: v.string(),
  persisted: v.boolean(),
  tty: v.boolean(),
  sandboxMode: v.nullable(v.string()),
});

export const ValidationError = v.looseObject({ path: v.string(), message: v.string() });

export const SummaryOutputs = v.looseObject({
  stdout: v.string(),
  stderr: v.string(),
  structured: v.optional(v.unknown()),
  validationErrors: v.optional(v.array(ValidationError)),
});

export const SummaryStage = v.looseObject({
  index: PositiveInt,
  id: v.string(),
  title: v.string(),
  kind: v.picklist(["command", "subpipeline"]),
  status: v.string(),
  exit_code: v.nullable(v.number()),
  summary: v.nullable(v.string()),
});

/** `run:summary` payload: exec runs fill result/command/outputs/toolRun; pipeline runs fill `stages` (SPEC §15.3/15.4). */
export const RunSummaryPayload = v.looseObject({
  status: v.picklist(["succeeded", "failed", "cancelled"]),
  run: SummaryRun,
  result: v.nullable(SummaryResult),
  command: v.nullable(SummaryCommand),
  outputs: v.nullable(SummaryOutputs),
  logs: v.looseObject({ runner: v.string(), command: v.nullable(v.string()) }),
  toolRun: v.nullable(ToolRunRecordWithEvents),
  stages: v.optional(v.array(SummaryStage)),
  notifications: NotificationsRecord,
  metrics: v.nullable(RunMetrics),
  runId: v.string(),
});
export type RunSummaryPayload = v.InferOutput<typeof RunSummaryPayload>;

/** Event type → payload schema. Unknown types are allowed by the envelope (consumers ignore them). */
export const EventPayloads = {
  "exec:begin": ExecBeginPayload,
  "exec:chunk": ExecChunkPayload,
  "exec:retry": ExecRetryPayload,
  "exec:end": ExecEndPayload,
  "stage:begin": StageBeginPayload,
  "stage:end": StageEndPayload,
  "run:summary": RunSummaryPayload,
} as const;
export type EventType = keyof typeof EventPayloads;
export type EventPayload<T extends EventType> = v.InferOutput<(typeof EventPayloads)[T]>;

/** The JSONL envelope (SPEC §15.1). */
export const EventEnvelope = v.looseObject({
  type: v.string(),
  timestamp: IsoTimestamp,
  v: v.pipe(v.number(), v.integer(), v.minValue(1)),
  seq: PositiveInt,
  payload: v.looseObject({ runId: v.string() }),
});

export type OrchestratorEvent = {
  [T in EventType]: { type: T; timestamp: string; v: number; seq: number; payload: EventPayload<T> };
}[EventType];

