import * as v from "valibot";
import {
  CommandStatus,
  IsoTimestamp,
  NonNegativeInt,
  NotificationsRecord,
  NullableIso,
  PositiveInt,
  RunMetrics,
  RunStatus,
  SandboxBackendName,
  SandboxMode,
  SandboxState,
} from "./common.ts";

/**
 * The sandbox of a stage's command (issue 15): the mode asked for, the state of its last attempt, the backend that
 * enforced it and the Landlock ABI, and why the sandbox was not in force (`unavailable`: nothing ran; or
 * `--sandbox-fallback unsandboxed`).
 */
export const CommandSandbox = v.looseObject({
  mode: v.nullable(SandboxMode),
  state: SandboxState,
  backend: v.nullable(SandboxBackendName),
  landlockAbi: v.nullable(PositiveInt),
  reason: v.optional(v.string()),
});
export type CommandSandbox = v.InferOutput<typeof CommandSandbox>;
import { ToolRunRecord } from "./tool-run.ts";
import { CacheRecord } from "./cache.ts";

/** One `commands[]` entry (SPEC §8.2). */
export const CommandEntry = v.looseObject({
  index: PositiveInt,
  id: v.string(),
  title: v.string(),
  command: v.nullable(v.string()),
  kind: v.picklist(["command", "subpipeline"]),
  /** Fingerprint of the stage's resolved definition (additive, issue 22.2): resume refuses a stage redefined since. */
  definition_hash: v.optional(v.nullable(v.string())),
  /** Ids of the stages this one waited for (additive, issue 17): explicit in graph mode, the previous stage otherwise. */
  needs: v.optional(v.array(v.string())),
  status: CommandStatus,
  started_at: NullableIso,
  completed_at: NullableIso,
  exit_code: v.nullable(v.pipe(v.number(), v.integer())),
  summary: v.nullable(v.string()),
  log_path: v.nullable(v.string()),
  error_file: v.nullable(v.string()),
  sub_run_id: v.nullable(v.string()),
  /** A graph stage not run because a stage it needs failed (additive, issue 17): that stage's id. Resume reruns it. */
  skipped_because: v.optional(v.nullable(v.string())),
  /** Session of a stage (additive): id, whether persisted and reused. */
  session: v.optional(
    v.nullable(v.looseObject({ id: v.string(), persisted: v.boolean(), reused: v.boolean() })),
  ),
  /** The sandbox of the stage's command (additive, issue 15); absent until it ran and in older runs. */
  sandbox: v.optional(v.nullable(CommandSandbox)),
  /** The stage cache's verdict (additive, issue 18); absent for a stage without `inputs` and in older runs. */
  cache: v.optional(v.nullable(CacheRecord)),
});
export type CommandEntry = v.InferOutput<typeof CommandEntry>;

export const ChildRun = v.looseObject({
  run_id: v.string(),
  pipeline_id: v.string(),
  status: RunStatus,
  manifest: v.string(),
});
export type ChildRun = v.InferOutput<typeof ChildRun>;

export const ResumeEvent = v.looseObject({
  actor: v.string(),
  reason: v.string(),
  outcome: v.picklist(["accepted", "blocked"]),
  timestamp: IsoTimestamp,
  detail: v.optional(v.nullable(v.string())),
});
export type ResumeEvent = v.InferOutput<typeof ResumeEvent>;

export const ApprovalRecord = v.looseObject({
  actor: v.string(),
  timestamp: v.string(),
  reason: v.optional(v.string()),
});

export const InstructionsRecord = v.looseObject({
  hash: v.nullable(v.string()),
  sources: v.array(v.looseObject({ path: v.string(), bytes: NonNegativeInt })),
});
export type InstructionsRecord = v.InferOutput<typeof InstructionsRecord>;

/**
 * `exec --output-schema` (issue 22): how the command's stdout fared against the schema. Only written by an exec run
 * given a schema; `status` is `valid`, `invalid` (errors[0] is the first mismatch; invalid JSON is one error at `""`),
 * `too-large` (stdout over `max_bytes`, not validated) or `not-checked` (the command never ran, or the run was cancelled).
 */
export const OutputValidationRecord = v.looseObject({
  schema: v.string(),
  status: v.picklist(["valid", "invalid", "too-large", "not-checked"]),
  stdout_bytes: NonNegativeInt,
  max_bytes: PositiveInt,
  errors: v.array(v.looseObject({ path: v.string(), message: v.string() })),
  error_count: NonNegativeInt,
});
export type OutputValidationRecord = v.InferOutput<typeof OutputValidationRecord>;

/**
 * What `exec` ran (additive, issue 22.6), so that `resume` of an exec run can run it again: argv, the command's
 * absolute cwd and the options that shape the run. The environment is not recorded (it may hold secrets): a resumed
 * exec gets the resumer's; its stdin is /dev/null.
 */
export const ExecRecord = v.looseObject({
  argv: v.array(v.string()),
  cwd: v.string(),
  tty: v.boolean(),
  session: v.nullable(v.string()),
  sandbox: v.nullable(v.string()),
  timeout_seconds: v.nullable(v.number()),
  require_approval: v.boolean(),
  output_schema: v.nullable(v.string()),
});
export type ExecRecord = v.InferOutput<typeof ExecRecord>;

/** The run manifest `<rundir>/manifest.json` (SPEC §8.1); keys in the order they are written. */
export const Manifest = v.looseObject({
  version: v.literal(1),
  task_id: v.string(),
  task_slug: v.nullable(v.string()),
  run_id: v.string(),
  parent_run_id: v.nullable(v.string()),
  pipeline_id: v.string(),
  pipeline_title: v.string(),
  /** Fingerprint of the resolved pipeline (additive, issue 22.2); null/absent in older runs. */
  pipeline_hash: v.optional(v.nullable(v.string())),
  runner: v.literal("codex-cli"),
  approval_policy: v.nullable(v.string()),
  status: RunStatus,
  status_detail: v.nullable(v.string()),
  started_at: IsoTimestamp,
  completed_at: NullableIso,
  updated_at: IsoTimestamp,
  heartbeat_at: NullableIso,
  heartbeat_interval_seconds: PositiveInt,
  heartbeat_stale_after_seconds: PositiveInt,
  artifact_root: v.string(),
  compat_path: v.string(),
  log_path: v.string(),
  summary: v.nullable(v.string()),
  metrics_recorded: v.boolean(),
  resume_token: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex characters")),
  resume_events: v.array(ResumeEvent),
  approvals: v.array(ApprovalRecord),
  commands: v.array(CommandEntry),
  child_runs: v.array(ChildRun),
  run_summary_path: v.nullable(v.string()),
  instructions_hash: v.nullable(v.string()),
  instructions_sources: v.array(v.string()),
  schema_version: v.literal(1),
  instructions: InstructionsRecord,
  toolRuns: v.array(ToolRunRecord),
  metrics: v.nullable(RunMetrics),
  notifications: v.nullable(NotificationsRecord),
  output_validation: v.optional(OutputValidationRecord),
  /** Exec runs only (issue 22.6), after the SPEC keys. */
  exec: v.optional(ExecRecord),
  /** `start --only` (additive, issue 18): the stages this run was asked to run; the others stay `pending`. */
  only: v.optional(v.array(v.string())),
  /** A run made by `merge` (additive, issue 18): the runs it was merged from, in argument order. */
  merged_from: v.optional(v.array(v.looseObject({ run_id: v.string(), artifact_root: v.string() }))),
});
export type Manifest = v.InferOutput<typeof Manifest>;
