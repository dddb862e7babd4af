import type { ToolRunRecord } from "../core/schemas/tool-run.ts";

export type ApprovalReuse = {
  /** Grants from the cache ÷ approvals needed (0 when none was needed), rounded to 4 decimals. */
  approvalReuse: number;
  approvalsNeeded: number;
  approvalsFromCache: number;
};

/**
 * `metrics.approvalReuse` (issue 4): of the invocations that needed an approval, the share that the global cache
 * satisfied without asking anyone.
 */
export function computeApprovalReuse(records: readonly Pick<ToolRunRecord, "approvalSource">[]): ApprovalReuse {
  // A rule or a hook deciding is no approval a person had to give (issue 19).
  const needed = records.filter((r) => r.approvalSource === "cache" || r.approvalSource === "prompt").length;
  const fromCache = records.filter((r) => r.approvalSource === "cache").length;
  return {
    approvalReuse: needed === 0 ? 0 : Math.round((fromCache / needed) * 10_000) / 10_000,
    approvalsNeeded: needed,
    approvalsFromCache: fromCache,
  };
}
