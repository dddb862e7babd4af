import { guardrailsPresent } from "../core/guardrails.ts";
import type { PipelineDefinition } from "../core/schemas/config.ts";
import type { Manifest } from "../core/schemas/manifest.ts";
import type { RunSummary } from "../core/schemas/records.ts";
import { planItems } from "./plan.ts";

export type RunSummaryInput = {
  manifest: Manifest;
  pipeline: PipelineDefinition;
  /** Stage notes of the executor: `<title>: <summary>` (command) or `<title>: <status>` (sub-pipeline, kept stage). */
  notes: readonly string[];
  now: Date;
};

/**
 * The 3-line review summary (SPEC §9.1 step 5); also a sub-pipeline entry's summary in its parent. The verdict names
 * the run's own pipeline by title and id (issue 22.9; the SPEC said `Diagnostics pipeline` whatever ran).
 */
export function reviewSummary(manifest: Manifest): string {
  const name = `Pipeline '${manifest.pipeline_title}' (${manifest.pipeline_id})`;
  const verdict =
    manifest.status === "succeeded"
      ? `${name} succeeded.`
      : manifest.status === "cancelled"
        ? `${name} was cancelled — inspect manifest for details.`
        : `${name} failed — inspect manifest for details.`;
  return [verdict, `Manifest: ${manifest.artifact_root}/manifest.json`, `Runner log: ${manifest.log_path}`].join("\n");
}

/** The RunSummary of a finished pipeline run (SPEC §9.1 steps 2–6), keys in the documented order. */
export function buildRunSummary({ manifest, pipeline, notes, now }: RunSummaryInput): RunSummary {
  const items = planItems(pipeline);
  const subtaskId = items[0]?.id ?? `${pipeline.id}:`;
  const success = manifest.status === "succeeded";
  const guarded = guardrailsPresent(manifest.commands);
  const joinedNotes = notes.length > 0 ? notes.join("\n") : undefined;
  const plan: RunSummary["plan"] = { items };
  if (pipeline.description !== undefined) plan.notes = pipeline.description;
  const build: RunSummary["build"] = {
    subtaskId,
    artifacts: [
      { path: `${manifest.artifact_root}/manifest.json`, description: "CLI run manifest" },
      { path: manifest.log_path, description: "Runner log (ndjson)" },
    ],
    mode: "mcp",
    runId: manifest.run_id,
    success,
  };
  if (joinedNotes !== undefined) build.notes = joinedNotes;
  const decision: RunSummary["review"]["decision"] = { approved: success };
  if (joinedNotes !== undefined) decision.feedback = joinedNotes;
  return {
    taskId: manifest.task_id,
    runId: manifest.run_id,
    mode: "mcp",
    plan,
    build,
    test: {
      subtaskId,
      success: guarded && success,
      reports: [
        {
          name: "guardrails",
          status: guarded ? "passed" : "failed",
          details: guarded ? "spec-guard step succeeded" : "spec-guard step missing or failed",
        },
      ],
      runId: manifest.run_id,
    },
    review: { summary: reviewSummary(manifest), decision },
    timestamp: now.toISOString(),
  };
}
