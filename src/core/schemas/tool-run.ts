import * as v from "valibot";
import { ApprovalSource, IsoTimestamp, NonNegativeInt, PositiveInt, SandboxBackendName, SandboxState, ToolStatus } from "./common.ts";

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
  /** The config rule that matched (issue 19): `{match, decision, justification, source, command}`. */
  rule: v.optional(v.nullable(v.looseObject({ match: v.array(v.string()), decision: v.string(), source: v.string() }))),
  /** What each preExec / postExec hook said (issue 19). */
  hooks: v.optional(
    v.array(
      v.looseObject({
        event: v.picklist(["preExec", "postExec"]),
        command: v.string(),
        source: v.string(),
        decision: v.nullable(v.picklist(["allow", "deny", "ask"])),
        reason: v.nullable(v.string()),
        failure: v.nullable(v.string()),
        exitCode: v.nullable(v.number()),
        durationMs: NonNegativeInt,
      }),
    ),
  ),
});

/** Why an invocation never ran (issue 19): a `forbidden` rule or a preExec hook stopped it. */
export const ToolRunRefusal = v.looseObject({
  by: v.picklist(["rule", "hook"]),
  reason: v.string(),
});

/**
 * A tool invocation's record as kept in the manifest `toolRuns[]` (SPEC §16.3), without `events`. `attemptCount` is
 * 0 only for a refused invocation (`refusal` set): nothing was attempted.
 */
export const ToolRunRecord = v.looseObject({
  id: v.pipe(v.string(), v.minLength(1)),
  tool: v.pipe(v.string(), v.minLength(1)),
  approvalSource: ApprovalSource,
  retryCount: NonNegativeInt,
  attemptCount: NonNegativeInt,
  refusal: v.optional(ToolRunRefusal),
  sandboxState: SandboxState,
  /** The backend of the last attempt (null when it ran unsandboxed or escalated) and the Landlock ABI (issue 15). */
  sandboxBackend: v.optional(v.nullable(SandboxBackendName)),
  landlockAbi: v.optional(v.nullable(PositiveInt)),
  /** Why the sandbox asked for was not in force (`--sandbox-fallback unsandboxed`). */
  sandboxReason: v.optional(v.string()),
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
