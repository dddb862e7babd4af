import * as v from "valibot";

/** ISO-8601 UTC timestamp as produced by `Date.prototype.toISOString`. */
export const IsoTimestamp = v.pipe(
  v.string(),
  v.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, "expected an ISO timestamp YYYY-MM-DDTHH:MM:SS.mmmZ"),
);
export const NullableIso = v.nullable(IsoTimestamp);

export const RunStatus = v.picklist(["queued", "in_progress", "succeeded", "failed", "cancelled"]);
export type RunStatus = v.InferOutput<typeof RunStatus>;

/** `cached` (issue 18): the stage did not run, its outputs and logs were restored from the stage cache. */
export const CommandStatus = v.picklist(["pending", "running", "succeeded", "failed", "skipped", "cancelled", "cached"]);
export type CommandStatus = v.InferOutput<typeof CommandStatus>;

/**
 * State of the sandbox for an attempt (SPEC §16.2, §14.5): `sandboxed` only when a sandbox is really in force,
 * `unsandboxed` when none was asked for (or `danger-full-access`, or `--sandbox-fallback unsandboxed` ran it without
 * the one asked for), `unavailable` when the sandbox asked for cannot be enforced here and nothing ran (issue 15).
 */
export const SandboxState = v.picklist(["sandboxed", "escalated", "failed", "unsandboxed", "unavailable"]);
export type SandboxState = v.InferOutput<typeof SandboxState>;

export const SandboxMode = v.picklist(["read-only", "workspace-write", "danger-full-access"]);
export type SandboxMode = v.InferOutput<typeof SandboxMode>;

/** The backend that enforced an attempt's sandbox (issue 15): in-binary Landlock + seccomp, or bubblewrap. */
export const SandboxBackendName = v.picklist(["landlock", "bwrap", "seatbelt"]);
export type SandboxBackendName = v.InferOutput<typeof SandboxBackendName>;

/** `--sandbox-backend`: which backend to use; `auto` = Landlock where the kernel has it, else bubblewrap. */
export const SandboxBackendChoice = v.picklist(["auto", "landlock", "bwrap", "seatbelt"]);
export type SandboxBackendChoice = v.InferOutput<typeof SandboxBackendChoice>;

/** `--sandbox-fallback`: what to do when the sandbox asked for cannot be enforced (default `fail`: run nothing). */
export const SandboxFallback = v.picklist(["fail", "unsandboxed"]);
export type SandboxFallback = v.InferOutput<typeof SandboxFallback>;

export const ApprovalPolicy = v.picklist(["untrusted", "on-failure", "on-request", "never"]);
export type ApprovalPolicy = v.InferOutput<typeof ApprovalPolicy>;

/** `a, b or c`: the expected values of a picklist, as messages name them. */
export function oneOf(options: readonly string[], quote = false): string {
  const q = options.map((o) => (quote ? `"${o}"` : o));
  return q.length < 2 ? (q[0] ?? "") : `${q.slice(0, -1).join(", ")} or ${q[q.length - 1]}`;
}

/** Who let the command run: nobody needed to, the cache, a person, a config rule or a preExec hook (issue 19). */
export const ApprovalSource = v.picklist(["not-required", "cache", "prompt", "rule", "hook"]);
export type ApprovalSource = v.InferOutput<typeof ApprovalSource>;

export const ToolStatus = v.picklist(["succeeded", "failed"]);
export type ToolStatus = v.InferOutput<typeof ToolStatus>;

export const NonNegativeInt = v.pipe(v.number(), v.integer(), v.minValue(0));
export const PositiveInt = v.pipe(v.number(), v.integer(), v.minValue(1));

export const LatencyMs = v.object({
  p50: v.nullable(NonNegativeInt),
  p95: v.nullable(NonNegativeInt),
  max: v.nullable(NonNegativeInt),
});

/** approvalReuse: grants from the cache ÷ approvals needed (issue 4; 0 when none was needed). */
export const RunMetrics = v.looseObject({
  approvalReuse: v.nullable(v.pipe(v.number(), v.minValue(0))),
  commandLatencyMs: LatencyMs,
});
export type RunMetrics = v.InferOutput<typeof RunMetrics>;

export const NotificationFailure = v.looseObject({ target: v.string(), error: v.string() });
export const NotificationsRecord = v.looseObject({
  targets: v.array(v.string()),
  delivered: v.array(v.string()),
  failures: v.array(NotificationFailure),
});
export type NotificationsRecord = v.InferOutput<typeof NotificationsRecord>;
