import type { PipelineDefinition } from "../core/schemas/config.ts";

type StageDefinition = PipelineDefinition["stages"][number];

/**
 * The dependency graph of a pipeline's stages (issue 17). A pipeline is in graph mode when it says `parallel: true`
 * or any stage declares `needs`; otherwise each stage implicitly needs the one before, so configs written for the
 * sequential executor keep their meaning (and their SPEC §9.2 failure rule: later stages stay `pending`).
 */
export type StageGraph = {
  graph: boolean;
  /** Stage id → the ids it waits for, in declaration order. */
  needs: Map<string, string[]>;
  /** Stage id → the ids that wait for it. */
  dependants: Map<string, string[]>;
};

export function isGraphPipeline(pipeline: Pick<PipelineDefinition, "parallel" | "stages">): boolean {
  return pipeline.parallel === true || pipeline.stages.some((s) => s.needs !== undefined);
}

export function stageGraph(pipeline: Pick<PipelineDefinition, "parallel" | "stages">): StageGraph {
  const graph = isGraphPipeline(pipeline);
  const needs = new Map<string, string[]>();
  const dependants = new Map<string, string[]>();
  for (const stage of pipeline.stages) dependants.set(stage.id, []);
  for (const [i, stage] of pipeline.stages.entries()) {
    const previous = pipeline.stages[i - 1];
    const wants = graph ? [...new Set(stage.needs ?? [])] : previous === undefined ? [] : [previous.id];
    needs.set(stage.id, wants);
    for (const id of wants) dependants.get(id)?.push(stage.id);
  }
  return { graph, needs, dependants };
}

/** The stages' `needs` as recorded in `commands[].needs`: explicit in graph mode, the previous stage otherwise. */
export function recordedNeeds(pipeline: Pick<PipelineDefinition, "parallel" | "stages">): string[][] {
  const { needs } = stageGraph(pipeline);
  return pipeline.stages.map((s) => needs.get(s.id) ?? []);
}

/**
 * Levels of the graph for `plan`: level 0 holds the stages that need nothing, level n those whose deepest need is at
 * level n − 1. Null when the graph has a cycle (the config rules refuse such a pipeline before this is reached).
 */
export function stageLevels(pipeline: Pick<PipelineDefinition, "parallel" | "stages">): string[][] | null {
  const { needs } = stageGraph(pipeline);
  const level = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (id: string): number | null => {
    const known = level.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return null;
    visiting.add(id);
    let deepest = -1;
    for (const dep of needs.get(id) ?? []) {
      if (!needs.has(dep)) continue;
      const d = depth(dep);
      if (d === null) return null;
      deepest = Math.max(deepest, d);
    }
    visiting.delete(id);
    level.set(id, deepest + 1);
    return deepest + 1;
  };
  const levels: string[][] = [];
  for (const stage of pipeline.stages) {
    const d = depth(stage.id);
    if (d === null) return null;
    const at = levels[d] ?? [];
    at.push(stage.id);
    levels[d] = at;
  }
  return levels;
}

/** A broken `needs` rule of one pipeline: where (relative to the pipeline) and what. */
export type NeedsProblem = { pointer: string; problem: string };

/** Unknown ids, self-references and cycles among the `needs` of one pipeline (issue 17), or null. */
export function needsProblem(stages: readonly StageDefinition[]): NeedsProblem | null {
  const ids = new Map(stages.map((s, i) => [s.id, i]));
  for (const [s, stage] of stages.entries()) {
    for (const [n, id] of (stage.needs ?? []).entries()) {
      const pointer = `/stages/${s}/needs/${n}`;
      if (id === stage.id) return { pointer, problem: `stage "${stage.id}" needs itself` };
      if (!ids.has(id)) return { pointer, problem: `unknown stage id "${id}" (expected the id of a stage of this pipeline)` };
    }
  }
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (id: string): NeedsProblem | null => {
    if (done.has(id)) return null;
    const s = ids.get(id) as number;
    stack.push(id);
    for (const [n, dep] of (stages[s]?.needs ?? []).entries()) {
      const at = stack.indexOf(dep);
      if (at !== -1) {
        return { pointer: `/stages/${s}/needs/${n}`, problem: `needs cycle ${[...stack.slice(at), dep].join(" → ")}` };
      }
      const found = visit(dep);
      if (found !== null) return found;
    }
    stack.pop();
    done.add(id);
    return null;
  };
  for (const stage of stages) {
    const found = visit(stage.id);
    if (found !== null) return found;
  }
  return null;
}
