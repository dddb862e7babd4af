import type { PipelineDefinition } from "../core/schemas/config.ts";

/**
 * The built-in `diagnostics` pipeline (SPEC §6.2): stage titles equal their commands. The `codex-orchestrator` of the
 * spec-guard stage reaches the running executable because stages run with its directory first on PATH (§24.1).
 */
export const DIAGNOSTICS_PIPELINE: PipelineDefinition = {
  id: "diagnostics",
  title: "Diagnostics Pipeline",
  description: "Build, lint, test, and spec-guard the repository.",
  stages: [
    { kind: "command", id: "build", title: "npm run build", command: "npm run build", allowFailure: false },
    { kind: "command", id: "lint", title: "npm run lint", command: "npm run lint", allowFailure: false },
    { kind: "command", id: "test", title: "npm run test", command: "npm run test", allowFailure: false },
    {
      kind: "command",
      id: "spec-guard",
      title: "codex-orchestrator spec-guard --dry-run",
      command: "codex-orchestrator spec-guard --dry-run",
      allowFailure: false,
    },
  ],
};

export const BUILTIN_PIPELINES: readonly PipelineDefinition[] = [DIAGNOSTICS_PIPELINE];
export const BUILTIN_PIPELINE_IDS: readonly string[] = BUILTIN_PIPELINES.map((p) => p.id);
export const DEFAULT_PIPELINE_ID = "diagnostics";
