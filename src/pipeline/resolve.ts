import { UsageError } from "../core/errors.ts";
import type { OrchestratorConfig, PipelineDefinition } from "../core/schemas/config.ts";
import { BUILTIN_PIPELINES, DEFAULT_PIPELINE_ID } from "./builtin.ts";

/** Where a resolved pipeline came from: `default` only for a built-in (SPEC §6.3). */
export type PipelineSource = "default" | "user";
export type ResolvedPipeline = { pipeline: PipelineDefinition; source: PipelineSource };

export function pipelineNotFound(id: string): UsageError {
  return new UsageError(`Pipeline '${id}' not found.`);
}

/** The config pipeline with this id (the first one wins), else a built-in, else null. */
export function findPipeline(config: OrchestratorConfig | null, id: string): ResolvedPipeline | null {
  const user = config?.pipelines?.find((p) => p.id === id);
  if (user !== undefined) return { pipeline: user, source: "user" };
  const builtin = BUILTIN_PIPELINES.find((p) => p.id === id);
  if (builtin !== undefined) return { pipeline: builtin, source: "default" };
  return null;
}

/**
 * Resolution of `start`/`plan` (SPEC §6.3): an explicit id must exist; without one, `defaultPipeline ?? diagnostics`.
 * The config loader has already rejected a `defaultPipeline` naming nothing (issue 3 overrides the silent fallback).
 */
export function resolvePipeline(config: OrchestratorConfig | null, requested: string | undefined): ResolvedPipeline {
  const id = requested ?? config?.defaultPipeline ?? DEFAULT_PIPELINE_ID;
  const found = findPipeline(config, id) ?? (requested === undefined ? findPipeline(null, DEFAULT_PIPELINE_ID) : null);
  if (found === null) throw pipelineNotFound(id);
  return found;
}

/** `start` refuses a pipeline with zero stages before anything is written (SPEC §5.1). */
export function requireStages(resolved: ResolvedPipeline): ResolvedPipeline {
  if (resolved.pipeline.stages.length === 0) throw new UsageError("Planner returned no executable subtasks.");
  return resolved;
}
