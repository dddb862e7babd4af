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
type Nested = Record<string, (v: unknown) => unknown>;
const isObj = (value: unknown): value is Obj => typeof value === "object" && value !== null && !Array.isArray(value);

/** Each key list's positions, computed once (a manifest is ordered at every save: once per stage and more). */
const ranks = new WeakMap<readonly string[], Map<string, number>>();

function rankOf(keys: readonly string[]): Map<string, number> {
  let rank = ranks.get(keys);
  if (rank === undefined) {
    rank = new Map(keys.map((key, i) => [key, i]));
    ranks.set(keys, rank);
  }
  return rank;
}

/** Whether `value`'s known keys already come first and in `keys`' order (our writers build objects that way). */
function inOrder(value: Obj, rank: Map<string, number>): boolean {
  let last = -1;
  let unknownSeen = false;
  for (const key in value) {
    const at = rank.get(key);
    if (at === undefined) {
      unknownSeen = true;
    } else {
      if (unknownSeen || at < last) return false;
      last = at;
    }
  }
  return true;
}

/**
 * `value` with `keys` first (those present), then any other keys in their existing order, and the `nested` values
 * ordered likewise. An object already in that order whose nested values are too is returned as it is (it is only
 * serialised), so a save copies nothing of what was already right: at a stage's end, every earlier stage's entry.
 */
function ordered(value: unknown, keys: readonly string[], nested?: Nested): unknown {
  if (!isObj(value)) return value;
  let out: Obj | null = null;
  if (!inOrder(value, rankOf(keys))) {
    out = {};
    for (const key of keys) if (key in value) out[key] = value[key];
    for (const key in value) if (!(key in out)) out[key] = value[key];
  }
  if (nested !== undefined) {
    for (const key in nested) {
      const source = out ?? value;
      if (!(key in source)) continue;
      const before = source[key];
      const after = (nested[key] as (v: unknown) => unknown)(before);
      if (after === before) continue;
      out ??= { ...value };
      out[key] = after;
    }
  }
  return out ?? value;
}

/** Each entry of a list ordered by `keys`; the list itself when no entry changed. */
const each = (keys: readonly string[], nested?: Nested) => (list: unknown) => {
  if (!Array.isArray(list)) return list;
  let out: unknown[] | null = null;
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    const after = ordered(item, keys, nested);
    if (after !== item) {
      out ??= list.slice();
      out[i] = after;
    }
  }
  return out ?? list;
};

/** The manifest with every object's keys in the documented order. */
export function orderManifest(manifest: Manifest): Manifest {
  return ordered(manifest, MANIFEST_KEYS, MANIFEST_NESTED) as Manifest;
}

const MANIFEST_NESTED: Nested = {
    resume_events: each(RESUME_EVENT_KEYS),
    approvals: each(APPROVAL_KEYS),
    commands: each(COMMAND_KEYS),
    child_runs: each(CHILD_RUN_KEYS),
    instructions: (v) => ordered(v, INSTRUCTIONS_KEYS, { sources: each(SOURCE_KEYS) }),
    toolRuns: each(TOOL_RUN_KEYS),
    metrics: (v) => ordered(v, METRICS_KEYS, { commandLatencyMs: (l) => ordered(l, LATENCY_KEYS) }),
  notifications: (v) => ordered(v, NOTIFICATION_KEYS),
};
