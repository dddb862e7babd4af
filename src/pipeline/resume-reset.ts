import { GUARDRAIL_FAILED, GUARDRAIL_MISSING, LEGACY_GUARDRAIL_LINES, removeSummaryLines } from "../core/summary.ts";
import type { PipelineDefinition } from "../core/schemas/config.ts";
import type { CommandEntry, Manifest } from "../core/schemas/manifest.ts";
import type { Activity } from "../run/activity.ts";

/**
 * Entries kept on resume; every other status reruns from scratch (SPEC §12 step 8). A graph stage skipped because a
 * stage it needs failed (`skipped_because`, issue 17) never ran: it reruns too. A `cached` stage (issue 18) is kept
 * like a succeeded one.
 */
export function isKept(entry: Pick<CommandEntry, "status" | "skipped_because">): boolean {
  return entry.status === "succeeded" || entry.status === "cached" || (entry.status === "skipped" && entry.skipped_because == null);
}

/**
 * SPEC §12 step 5: the refusal message for a run that still looks alive, or null. With `--force` a non-null answer
 * means the force was needed (recorded as `detail: "forced"`).
 */
export function activeRunRefusal(manifest: Manifest, activity: Activity): string | null {
  if (manifest.status !== "queued" && manifest.status !== "in_progress") return null;
  if (activity.stale) return null;
  const age = activity.age_seconds === null ? "unknown" : `${Math.floor(activity.age_seconds)}s`;
  return `Run ${manifest.run_id} is still active (last heartbeat ${age} ago); pass --force to resume it anyway.`;
}

/** The summary line a stage's failure appended (SPEC §9.3, §9.6), so resume can take it back. */
function failureLine(entry: CommandEntry, stage: PipelineDefinition["stages"][number] | undefined): string[] {
  const lines: string[] = [];
  if (entry.exit_code !== null) lines.push(`Stage '${entry.title}' failed with exit code ${entry.exit_code}.`);
  if (stage?.kind === "subpipeline") lines.push(`Sub-pipeline '${stage.pipeline}' failed.`);
  if (entry.summary?.startsWith("Execution error: ")) lines.push(entry.summary);
  return lines;
}

export type ResumeResetInput = { actor: string; reason: string; forced: boolean; now: Date };

/**
 * SPEC §12 steps 6–7, in memory: records the accepted resume, resets the run to `in_progress`/`resuming`, and clears
 * each stage to rerun of its error file and summary line; recommendation, `Guardrails:` and cancellation lines go
 * too (they are recomputed at the end).
 */
export function applyResumeReset(manifest: Manifest, pipeline: PipelineDefinition, input: ResumeResetInput): void {
  const event: Manifest["resume_events"][number] = {
    actor: input.actor,
    reason: input.reason,
    outcome: "accepted",
    timestamp: input.now.toISOString(),
  };
  if (input.forced) event.detail = "forced";
  manifest.resume_events.push(event);
  manifest.completed_at = null;
  manifest.metrics_recorded = false;
  manifest.status = "in_progress";
  manifest.status_detail = "resuming";
  const remove = new Set<string>([GUARDRAIL_MISSING, GUARDRAIL_FAILED, ...LEGACY_GUARDRAIL_LINES]);
  for (const [i, entry] of manifest.commands.entries()) {
    if (isKept(entry)) continue;
    entry.error_file = null;
    for (const line of failureLine(entry, pipeline.stages[i])) remove.add(line);
  }
  manifest.summary = removeSummaryLines(
    manifest.summary,
    (line) => remove.has(line) || line.toLowerCase().startsWith("guardrails:") || line.startsWith("Run cancelled by ") || line.startsWith("Run cancelled: "),
  );
}
