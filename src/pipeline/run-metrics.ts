import { computeApprovalReuse } from "../autonomy/approval-metrics.ts";
import type { RunMetrics } from "../core/schemas/common.ts";
import type { ToolRunRecord } from "../core/schemas/tool-run.ts";

/** Nearest-rank percentile `v[ceil(k/100 × n)]` of an ascending list (SPEC §17.3). */
export function nearestRank(sorted: readonly number[], k: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((k / 100) * sorted.length));
  return sorted[rank - 1] ?? null;
}

/** Manifest `metrics` at the end of a run, from its tool-run records (SPEC §17.3, issue 4 for approvalReuse). */
export function runMetrics(records: readonly ToolRunRecord[]): RunMetrics {
  // A refused invocation (issue 19) ran nothing: it has no latency.
  const durations = records
    .filter((r) => r.attemptCount > 0)
    .map((r) => Math.max(0, Math.round(Date.parse(r.completedAt) - Date.parse(r.startedAt))))
    .filter((d) => Number.isFinite(d))
    .sort((a, b) => a - b);
  return {
    approvalReuse: records.length === 0 ? null : computeApprovalReuse(records).approvalReuse,
    commandLatencyMs: {
      p50: nearestRank(durations, 50),
      p95: nearestRank(durations, 95),
      max: durations.length === 0 ? null : (durations[durations.length - 1] ?? null),
    },
  };
}
