import type { PipelineDefinition } from "../core/schemas/config.ts";
import type { PlanDocItem as PlanItem, PlanDocument, PlanStage } from "../core/schemas/reports.ts";
import type { ResolvedPipeline } from "./resolve.ts";
import { stageGraph, stageLevels } from "./stage-graph.ts";

export type { PlanDocItem as PlanItem, PlanDocument, PlanStage } from "../core/schemas/reports.ts";

/** Plan items of a run (SPEC §9.1 step 2): one per stage, `<pipelineId>:<stageId>`. */
export function planItems(pipeline: PipelineDefinition): PlanItem[] {
  return pipeline.stages.map((s) => ({ id: `${pipeline.id}:${s.id}`, description: s.title, requires_cloud: false }));
}

export function describePlan({ pipeline, source }: ResolvedPipeline): PlanDocument {
  const stages = pipeline.stages.map((stage, i): PlanStage => {
    const base = { index: i + 1, id: stage.id, title: stage.title };
    if (stage.kind === "subpipeline") {
      return { ...base, kind: "subpipeline", pipeline: stage.pipeline, optional: stage.optional ?? false };
    }
    return {
      ...base,
      kind: "command",
      command: stage.command,
      cwd: stage.cwd ?? null,
      env: stage.env ?? null,
      allowFailure: stage.allowFailure ?? false,
      summaryHint: stage.summaryHint ?? null,
    };
  });
  const plan: PlanDocument["plan"] = { items: planItems(pipeline) };
  if (pipeline.description !== undefined) plan.notes = pipeline.description;
  const { graph, needs } = stageGraph(pipeline);
  const nodes = pipeline.stages.map((s) => ({ id: s.id, needs: needs.get(s.id) ?? [] }));
  return {
    pipeline: { id: pipeline.id, title: pipeline.title, description: pipeline.description ?? null, source },
    stages,
    plan,
    graph: {
      mode: graph ? "parallel" : "sequential",
      levels: stageLevels(pipeline) ?? [],
      nodes,
      edges: nodes.flatMap((n) => n.needs.map((from) => ({ from, to: n.id }))),
    },
  };
}

/** The text form of `plan` (SPEC §5.2), one string per line. */
export function formatPlanText(doc: PlanDocument): string[] {
  const { pipeline } = doc;
  const lines = [`Pipeline: ${pipeline.id} — ${pipeline.title} [${pipeline.source}]`];
  if (pipeline.description !== null) lines.push(`Description: ${pipeline.description}`);
  lines.push("Stages:");
  if (doc.stages.length === 0) lines.push("  (none)");
  for (const stage of doc.stages) {
    lines.push(`  ${stage.index}. [${stage.kind}] ${stage.title} (${stage.id})`);
    if (stage.kind === "subpipeline") {
      lines.push(`     pipeline: ${stage.pipeline}`);
      if (stage.optional) lines.push("     optional: true");
      continue;
    }
    lines.push(`     command: ${stage.command}`);
    if (stage.cwd !== null) lines.push(`     cwd: ${stage.cwd}`);
    const env = Object.entries(stage.env ?? {});
    if (env.length > 0) lines.push(`     env: ${env.map(([k, val]) => `${k}=${val}`).join(", ")}`);
    if (stage.allowFailure) lines.push("     allowFailure: true");
    if (stage.summaryHint !== null) lines.push(`     summaryHint: ${stage.summaryHint}`);
  }
  if (doc.graph.mode === "parallel") {
    // Levels: what may run at the same time (up to --concurrency), each level after the stages it needs.
    lines.push(`Graph: ${doc.graph.levels.length} level${doc.graph.levels.length === 1 ? "" : "s"} (stages of a level can run in parallel)`);
    for (const [i, level] of doc.graph.levels.entries()) lines.push(`  ${i + 1}. ${level.join(", ")}`);
    for (const node of doc.graph.nodes) if (node.needs.length > 0) lines.push(`  ${node.id} needs ${node.needs.join(", ")}`);
  }
  if (doc.plan.notes !== undefined) lines.push(`Notes: ${doc.plan.notes}`);
  return lines;
}
