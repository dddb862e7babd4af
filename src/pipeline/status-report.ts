import { statusLabel } from "../core/summary.ts";
import type { StatusReport } from "../core/schemas/reports.ts";
import { readActivity } from "../run/activity.ts";
import { type StoreRoots, rel } from "../run/paths.ts";
import type { FoundRun } from "../run/run-lookup.ts";

export type { StatusReport } from "../core/schemas/reports.ts";

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(["succeeded", "failed", "cancelled"]);

export async function statusReport(roots: StoreRoots, run: FoundRun, now: () => number = Date.now): Promise<StatusReport> {
  const m = run.manifest;
  return {
    run_id: m.run_id,
    status: m.status,
    status_detail: m.status_detail,
    started_at: m.started_at,
    completed_at: m.completed_at,
    manifest: rel(roots, run.files.manifest),
    artifact_root: m.artifact_root,
    log_path: m.log_path,
    heartbeat_at: m.heartbeat_at,
    commands: m.commands,
    child_runs: m.child_runs,
    activity: await readActivity(m, run.files.heartbeat, now),
  };
}

/** The text form, without the logger prefix (SPEC §5.3). A multi-line summary stays multi-line. */
export function formatStatusText(report: StatusReport): string[] {
  const lines = [
    `Run: ${report.run_id}`,
    `Status: ${report.status}${report.status_detail ? ` (${report.status_detail})` : ""}`,
    `Started: ${report.started_at}`,
    `Completed: ${report.completed_at ?? "in-progress"}`,
    activityLine(report),
    `Manifest: ${report.artifact_root}/manifest.json`,
    "Commands:",
  ];
  for (const entry of report.commands) {
    lines.push(`  [${statusLabel(entry.status)}] ${entry.title}${entry.summary ? ` — ${entry.summary}` : ""}`);
  }
  return lines;
}

function activityLine(report: StatusReport): string {
  const { age_seconds, stale } = report.activity;
  if (age_seconds === null) return "Activity: unknown";
  let mark = "";
  if (stale) mark = " [stale]";
  else if (!TERMINAL_STATUSES.has(report.status)) mark = " [active]";
  return `Activity: last heartbeat ${Math.floor(age_seconds)}s ago${mark}`;
}
