import { readFileSync } from "node:fs";
import * as v from "valibot";
import { errorMessage } from "../core/errors.ts";

/**
 * What the review hand-off reads from a manifest. Deliberately lenient: older stores wrote camelCase keys, and a
 * manifest of any age must be reviewable.
 */
export const ReviewableManifest = v.looseObject({
  task_id: v.optional(v.unknown()),
  taskId: v.optional(v.unknown()),
  run_id: v.optional(v.unknown()),
  runId: v.optional(v.unknown()),
  status: v.optional(v.unknown()),
  summary: v.optional(v.unknown()),
});
export type ReviewableManifest = v.InferOutput<typeof ReviewableManifest>;

export type ReviewFacts = { task: string; runId: string; status: string; summary: string | null };

/** Reads the manifest at `path`; throws `Failed to load manifest at <path>: <problem>`. */
export function loadReviewFacts(path: string): ReviewFacts {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`Failed to load manifest at ${path}: ${errorMessage(error)}`);
  }
  const result = v.safeParse(ReviewableManifest, parsed);
  if (!result.success) throw new Error(`Failed to load manifest at ${path}: expected a JSON object`);
  const m = result.output;
  const summary = typeof m.summary === "string" && m.summary.trim() !== "" ? m.summary : null;
  return {
    task: text(m.task_id) ?? text(m.taskId) ?? "unknown",
    runId: text(m.run_id) ?? text(m.runId) ?? "unknown",
    status: text(m.status) ?? "unknown",
    summary,
  };
}

/** The hand-off block (SPEC §5.7 step 3): header fields, then the summary lines indented by two spaces. */
export function renderReviewFacts(facts: ReviewFacts): string {
  const summaryLines = facts.summary === null ? ["(no summary)"] : facts.summary.split("\n");
  return [
    "",
    `Task:    ${facts.task}`,
    `Run ID:  ${facts.runId}`,
    `Status:  ${facts.status}`,
    "",
    "Summary:",
    ...summaryLines.map((line) => `  ${line}`),
    "",
    "",
  ].join("\n");
}

function text(value: unknown): string | null {
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number") return String(value);
  return null;
}
