/** Key order of every manifest write (SPEC §8.1, §8.2, §16.3); unknown keys are kept, after the known ones. */
import type { Manifest } from "../core/schemas/manifest.ts";

export const MANIFEST_KEYS = [
  "version",
  "task_id",
  "task_slug",
  "run_id",
  "parent_run_id",
  "pipeline_id",
  "pipeline_title",
  "pipeline_hash",
  "runner",
  "approval_policy",
  "status",
  "status_detail",
  "started_at",
  "completed_at",
  "updated_at",
  "heartbeat_at",
  "heartbeat_interval_seconds",
  "heartbeat_stale_after_seconds",
  "artifact_root",
  "compat_path",
  "log_path",
  "summary",
  "metrics_recorded",
  "resume_token",
  "resume_events",
  "approvals",
  "commands",
  "child_runs",
  "run_summary_path",
  "instructions_hash",
  "instructions_sources",
  "schema_version",
  "instructions",
  "toolRuns",
  "metrics",
  "notifications",
] as const;

export const COMMAND_KEYS = [
  "index",
  "id",
  "title",
  "command",
  "kind",
  "definition_hash",
  "needs",
  "status",
  "started_at",
  "completed_at",
  "exit_code",
  "summary",
  "log_path",
  "error_file",
  "sub_run_id",
  "skipped_because",
] as const;

const CHILD_RUN_KEYS = ["run_id", "pipeline_id", "status", "manifest"] as const;
const RESUME_EVENT_KEYS = ["actor", "reason", "outcome", "timestamp", "detail"] as const;
const APPROVAL_KEYS = ["actor", "timestamp", "reason"] as const;
const INSTRUCTIONS_KEYS = ["hash", "sources"] as const;
const SOURCE_KEYS = ["path", "bytes"] as const;
const TOOL_RUN_KEYS = [
  "id",
  "tool",
  "approvalSource",
  "retryCount",
  "attemptCount",
  "sandboxState",
  "sandboxBackend",
  "landlockAbi",
  "sandboxReason",
  "status",
  "startedAt",
  "completedAt",
  "metadata",
] as const;
const METRICS_KEYS = ["approvalReuse", "commandLatencyMs"] as const;
const LATENCY_KEYS = ["p50", "p95", "max"] as const;
const NOTIFICATION_KEYS = ["targets", "delivered", "failures"] as const;

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj => typeof value === "object" && value !== null && !Array.isArray(value);

/** A copy of `value` with `keys` first (those present), then any other keys in their existing order. */
function ordered(value: unknown, keys: readonly string[], nested: Record<string, (v: unknown) => unknown> = {}): unknown {
  if (!isObj(value)) return value;
  const out: Obj = {};
  for (const key of keys) if (key in value) out[key] = value[key];
  for (const key of Object.keys(value)) if (!(key in out)) out[key] = value[key];
  for (const [key, fn] of Object.entries(nested)) if (key in out) out[key] = fn(out[key]);
  return out;
}

const each = (keys: readonly string[], nested?: Record<string, (v: unknown) => unknown>) => (list: unknown) =>
  Array.isArray(list) ? list.map((item) => ordered(item, keys, nested)) : list;

/** The manifest with every object's keys in the documented order. */
export function orderManifest(manifest: Manifest): Manifest {
  return ordered(manifest, MANIFEST_KEYS, {
    resume_events: each(RESUME_EVENT_KEYS),
    approvals: each(APPROVAL_KEYS),
    commands: each(COMMAND_KEYS),
    child_runs: each(CHILD_RUN_KEYS),
    instructions: (v) => ordered(v, INSTRUCTIONS_KEYS, { sources: each(SOURCE_KEYS) }),
    toolRuns: each(TOOL_RUN_KEYS),
    metrics: (v) => ordered(v, METRICS_KEYS, { commandLatencyMs: (l) => ordered(l, LATENCY_KEYS) }),
    notifications: (v) => ordered(v, NOTIFICATION_KEYS),
  }) as Manifest;
}
