import { UsageError } from "../core/errors.ts";
import type { PipelineDefinition } from "../core/schemas/config.ts";
import { isGraphPipeline } from "./stage-graph.ts";

/**
 * `start --only <stage>[,…]` (issue 18): the named stages, plus — in graph mode — every stage they `needs`, directly
 * or not (a selected stage never runs before what it needs; a need that hits the cache is only restored). In a
 * sequential pipeline only the named stages run, in order. An unknown id is a usage error (exit 2) naming the ids.
 */
export function selectStages(pipeline: PipelineDefinition, value: string): ReadonlySet<string> {
  const ids = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (ids.length === 0) throw new UsageError("--only requires a stage id (or several, comma-separated).");
  const known = new Map(pipeline.stages.map((s) => [s.id, s]));
  for (const id of ids) {
    if (!known.has(id)) {
      throw new UsageError(`Unknown stage '${id}' in --only (pipeline '${pipeline.id}' has: ${pipeline.stages.map((s) => s.id).join(", ")}).`);
    }
  }
  const selected = new Set<string>();
  const graph = isGraphPipeline(pipeline);
  const add = (id: string) => {
    if (selected.has(id)) return;
    selected.add(id);
    if (graph) for (const need of known.get(id)?.needs ?? []) add(need);
  };
  for (const id of ids) add(id);
  return selected;
}
