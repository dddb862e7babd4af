import type { GithubMatrix } from "../core/schemas/cache.ts";
import type { PipelineDefinition } from "../core/schemas/config.ts";
import { stageGraph } from "./stage-graph.ts";

/**
 * The independent groups of a pipeline's stages (issue 18): stages joined by `needs` (either way, transitively) are in
 * one group, so a group can run as a job of its own (`start --only <its stages>`) without waiting for another. A
 * sequential pipeline is one chain, hence one group. Groups and their stages keep the declaration order.
 */
export function stageGroups(pipeline: Pick<PipelineDefinition, "parallel" | "stages">): string[][] {
  const { needs } = stageGraph(pipeline);
  const parent = new Map(pipeline.stages.map((s) => [s.id, s.id]));
  const find = (id: string): string => {
    let root = id;
    while (parent.get(root) !== root) root = parent.get(root) as string;
    parent.set(id, root);
    return root;
  };
  for (const [id, wants] of needs) {
    for (const need of wants) {
      const a = find(id);
      const b = find(need);
      if (a !== b) parent.set(a, b);
    }
  }
  const groups = new Map<string, string[]>();
  for (const stage of pipeline.stages) {
    const root = find(stage.id);
    const group = groups.get(root) ?? [];
    group.push(stage.id);
    groups.set(root, group);
  }
  return [...groups.values()];
}

/** `plan --format github-matrix`: one `include` entry per group, for `strategy.matrix: ${{ fromJSON(…) }}`. */
export function githubMatrix(pipeline: PipelineDefinition): GithubMatrix {
  return { include: stageGroups(pipeline).map((stages, i) => ({ group: `g${i + 1}`, stages: stages.join(","), pipeline: pipeline.id })) };
}
