import { canonicalJson } from "../core/canonical-json.ts";
import type { PipelineDefinition } from "../core/schemas/config.ts";
import { sha256Of } from "../core/sha256.ts";

type StageDefinition = PipelineDefinition["stages"][number];

/**
 * The fingerprint of one stage as it is resolved (issue 22.2): every key of its definition, unknown ones included
 * (a key this version ignores may mean something to the next). Recorded in `commands[].definition_hash`.
 */
export function stageHash(stage: StageDefinition): string {
  return sha256Of(canonicalJson(stage));
}

/**
 * The fingerprint of a pipeline's behaviour: its stages in order plus the pipeline-level policy keys. Title,
 * description and tags are left out: they change what a listing shows, not what runs. Recorded as `pipeline_hash`.
 */
export function pipelineHash(pipeline: PipelineDefinition): string {
  const { title: _title, description: _description, tags: _tags, ...behaviour } = pipeline;
  return sha256Of(canonicalJson(behaviour));
}

/** What a run recorded of its pipeline: the whole hash (null in runs made before it existed) and its stages. */
export type RecordedPipeline = {
  pipelineId: string;
  hash: string | null;
  stages: readonly { id: string; definitionHash: string | null }[];
};

/**
 * Why the current definition no longer describes the run (issue 22.2), or null when it still does: resume matches
 * stages by id, and refuses a run whose stages were added, removed, reordered or redefined since it started. A run
 * recorded before hashes existed is compared by its stage ids only.
 */
export function pipelineChange(recorded: RecordedPipeline, current: PipelineDefinition): string | null {
  if (recorded.hash !== null && recorded.hash === pipelineHash(current)) return null;
  const before = recorded.stages.map((s) => s.id);
  const after = current.stages.map((s) => s.id);
  const changes: string[] = [];
  const added = after.filter((id) => !before.includes(id));
  const removed = before.filter((id) => !after.includes(id));
  for (const id of added) changes.push(`stage '${id}' added`);
  for (const id of removed) changes.push(`stage '${id}' removed`);
  const common = after.filter((id) => before.includes(id));
  const commonBefore = before.filter((id) => after.includes(id));
  if (common.join("\n") !== commonBefore.join("\n")) changes.push("stages reordered");
  for (const stage of current.stages) {
    const old = recorded.stages.find((s) => s.id === stage.id);
    if (old?.definitionHash != null && old.definitionHash !== stageHash(stage)) changes.push(`stage '${stage.id}' changed`);
  }
  if (changes.length === 0 && recorded.hash !== null) changes.push("pipeline settings changed");
  return changes.length === 0 ? null : changes.join(", ");
}
