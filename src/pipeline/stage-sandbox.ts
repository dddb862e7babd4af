import type { SandboxMode } from "../core/schemas/common.ts";
import type { CommandStage, OrchestratorConfig, PipelineDefinition } from "../core/schemas/config.ts";

/** The sandbox of a stage: its own `sandbox`, else the pipeline's, else the config's (a mode, or `{mode, network}`). */
export function stageSandbox(
  def: CommandStage,
  pipeline: Pick<PipelineDefinition, "sandbox">,
  config: OrchestratorConfig | undefined,
): { mode: SandboxMode | null; network: boolean } {
  const setting = def.sandbox ?? pipeline.sandbox ?? config?.sandbox ?? null;
  if (setting === null) return { mode: null, network: false };
  if (typeof setting === "string") return { mode: setting, network: false };
  return { mode: setting.mode, network: setting.network === true };
}
