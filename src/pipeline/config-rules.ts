import type { OrchestratorConfig } from "../core/schemas/config.ts";
import { BUILTIN_PIPELINE_IDS } from "./builtin.ts";
import { needsProblem } from "./stage-graph.ts";

/** A rule the schema cannot express, broken at `pointer`. */
export type BrokenRule = { pointer: string; problem: string };

/**
 * Cross-field rules checked before anything runs (issue 3): unique stage ids per pipeline, `needs` naming other stages
 * of the pipeline without a cycle (issue 17), no sub-pipeline cycle, a
 * `defaultPipeline` that names a pipeline. Existence of a sub-pipeline's target is NOT checked here: SPEC §6.1 leaves
 * it to run time (a missing child fails the parent run, §9.6).
 */
export function checkConfigRules(config: OrchestratorConfig): BrokenRule | null {
  const pipelines = config.pipelines ?? [];

  for (const [p, pipeline] of pipelines.entries()) {
    const seen = new Map<string, number>();
    for (const [s, stage] of pipeline.stages.entries()) {
      const first = seen.get(stage.id);
      if (first !== undefined) {
        return {
          pointer: `/pipelines/${p}/stages/${s}/id`,
          problem: `duplicate stage id "${stage.id}" (first used at /pipelines/${p}/stages/${first}/id)`,
        };
      }
      seen.set(stage.id, s);
    }
    for (const [s, stage] of pipeline.stages.entries()) {
      if (stage.kind !== "command") continue;
      // The stage cache (issue 18) fails closed on what it cannot honour, rather than silently not caching.
      if (stage.outputs !== undefined && stage.inputs === undefined) {
        return { pointer: `/pipelines/${p}/stages/${s}/outputs`, problem: "outputs need inputs (a stage without inputs is never cached)" };
      }
      const live = stage.session?.id !== undefined && (stage.session.persist === true || stage.session.reuse === true);
      if (stage.inputs !== undefined && live) {
        return {
          pointer: `/pipelines/${p}/stages/${s}/inputs`,
          problem: "a stage in a live session cannot be cached (the shell state it leaves would not be restored)",
        };
      }
    }
    const needs = needsProblem(pipeline.stages);
    if (needs !== null) return { pointer: `/pipelines/${p}${needs.pointer}`, problem: needs.problem };
  }

  // The first pipeline with a given id wins (§6.1); later ones are never resolved, so only the winners form the graph.
  const effective = new Map<string, number>();
  for (const [p, pipeline] of pipelines.entries()) if (!effective.has(pipeline.id)) effective.set(pipeline.id, p);

  const cycle = findCycle(config, effective);
  if (cycle !== null) return cycle;

  const wanted = config.defaultPipeline;
  if (wanted !== undefined && !effective.has(wanted) && !BUILTIN_PIPELINE_IDS.includes(wanted)) {
    return {
      pointer: "/defaultPipeline",
      problem: `pipeline "${wanted}" is not defined (expected the id of a pipeline in /pipelines or "diagnostics")`,
    };
  }
  return null;
}

function findCycle(config: OrchestratorConfig, effective: Map<string, number>): BrokenRule | null {
  const pipelines = config.pipelines ?? [];
  const done = new Set<string>();
  const stack: string[] = [];

  const visit = (id: string): BrokenRule | null => {
    const p = effective.get(id);
    if (p === undefined || done.has(id)) return null;
    stack.push(id);
    for (const [s, stage] of (pipelines[p]?.stages ?? []).entries()) {
      if (stage.kind !== "subpipeline") continue;
      const at = stack.indexOf(stage.pipeline);
      if (at !== -1) {
        const path = [...stack.slice(at), stage.pipeline].join(" → ");
        return { pointer: `/pipelines/${p}/stages/${s}/pipeline`, problem: `sub-pipeline cycle ${path}` };
      }
      const found = visit(stage.pipeline);
      if (found !== null) return found;
    }
    stack.pop();
    done.add(id);
    return null;
  };

  for (const id of effective.keys()) {
    const found = visit(id);
    if (found !== null) return found;
  }
  return null;
}
