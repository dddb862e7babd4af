import * as v from "valibot";
import { ApprovalSource, IsoTimestamp, NonNegativeInt, PositiveInt, SandboxState, ToolStatus } from "./common.ts";

export const ToolRunExecMetadata = v.looseObject({
  command: v.string(),
  args: v.array(v.string()),
  cwd: v.string(),
  sessionId: v.string(),
  persisted: v.boolean(),
  correlationId: v.string(),
  exitCode: v.nullable(v.number()),
  signal: v.nullable(v.string()),
});

export const ToolRunMetadata = v.looseObject({
  stageId: v.string(),
  pipelineId: v.string(),
  runId: v.string(),
  commandIndex: PositiveInt,
  command: v.string(),
  args: v.array(v.string()),
  cwd: v.string(),
  sessionId: v.string(),
  correlationId: v.string(),
  persisted: v.boolean(),
  sandboxMode: v.optional(v.nullable(v.string())),
  /** What confined the command's first attempt (`bubblewrap`), null when it ran unsandboxed (additive, issue 20). */
  sandboxBackend: v.optional(v.nullable(v.string())),
  approvalPolicy: v.optional(v.nullable(v.string())),
  approvalKey: v.optional(v.nullable(v.string())),
  timeoutSeconds: v.optional(v.nullable(v.number())),
  exec: v.optional(ToolRunExecMetadata),
});

/** A tool invocation's record as kept in the manifest `toolRuns[]` (SPEC §16.3), without `events`. */
export const ToolRunRecord = v.looseObject({
  id: v.pipe(v.string(), v.minLength(1)),
  tool: v.pipe(v.string(), v.minLength(1)),
  approvalSource: ApprovalSource,
  retryCount: NonNegativeInt,
  attemptCount: PositiveInt,
  sandboxState: SandboxState,
  status: ToolStatus,
  startedAt: IsoTimestamp,
  completedAt: IsoTimestamp,
  metadata: ToolRunMetadata,
});
export type ToolRunRecord = v.InferOutput<typeof ToolRunRecord>;

/** A flattened event inside `run:summary.toolRun.events`. */
export const ToolRunEvent = v.looseObject({
  type: v.string(),
  correlationId: v.string(),
  timestamp: IsoTimestamp,
  attempt: PositiveInt,
});

export const ToolRunRecordWithEvents = v.looseObject({
  ...ToolRunRecord.entries,
  events: v.array(ToolRunEvent),
  eventsTruncated: v.optional(v.boolean()),
});
export type ToolRunRecordWithEvents = v.InferOutput<typeof ToolRunRecordWithEvents>;
