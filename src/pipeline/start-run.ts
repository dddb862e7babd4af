import { loadInstructions } from "../run/instructions.ts";
import { loadTaskMetadata } from "../run/task-metadata.ts";
import type { ApprovalPrompter } from "../autonomy/approval-prompter.ts";
import { type Logger, prepareInvocation } from "./invocation.ts";
import { createPipelineRun, executeRun } from "./pipeline-run.ts";
import { requireStages, resolvePipeline } from "./resolve.ts";
import { confiningMode } from "../core/sandbox-policy.ts";
import { startSandboxThread } from "../exec/sandbox-thread.ts";
import type { CommandStage, OrchestratorConfig, PipelineDefinition } from "../core/schemas/config.ts";
import { stageSandbox } from "./stage-sandbox.ts";
import { selectStages } from "./stage-selection.ts";
import { type PipelineHooks, type PipelineResult, withPipelineHost } from "./top-level.ts";

export type StartRequest = {
  env: Record<string, string | undefined>;
  /** The process cwd. */
  cwd: string;
  pipeline?: string | undefined;
  task?: string | undefined;
  parentRun?: string | undefined;
  approvalPolicy?: string | undefined;
  notify: string[];
  otelEndpoint?: string | undefined;
  maxOutputBytes?: string | undefined;
  concurrency?: string | undefined;
  keepGoing?: boolean;
  /** `--sandbox-backend`, `--sandbox-fallback` (issue 15). */
  sandboxBackend?: string | undefined;
  sandboxFallback?: string | undefined;
  /** `--only <stage>[,…]` as given (issue 18). */
  only?: string | undefined;
  /** `--no-cache`, `--fail-on-cache-miss`, `--cache-dir` (issue 18). */
  noCache?: boolean;
  failOnCacheMiss?: boolean;
  cacheDir?: string | undefined;
  /** Who answers approval prompts, where the lines go, whether the run handles signals (the MCP server's own). */
  prompter?: ApprovalPrompter | null;
  logger?: Logger;
  handleSignals?: boolean;
};

/**
 * `start` (SPEC §9.1): every input is validated and the pipeline resolved (unknown → exit 2, zero stages → exit 2)
 * before anything is written; then the run is created, executed and recorded.
 */
export async function runStart(request: StartRequest, hooks: PipelineHooks = {}): Promise<PipelineResult> {
  const invocation = await prepareInvocation({
    env: request.env,
    cwd: request.cwd,
    taskOverride: request.task,
    approvalPolicy: request.approvalPolicy,
    notify: request.notify,
    otelEndpoint: request.otelEndpoint,
    maxOutputBytes: request.maxOutputBytes,
    concurrency: request.concurrency,
    keepGoing: request.keepGoing,
    sandboxBackend: request.sandboxBackend,
    sandboxFallback: request.sandboxFallback,
    cache: { noCache: request.noCache === true, failOnMiss: request.failOnCacheMiss === true, dir: request.cacheDir },
    ...(request.prompter !== undefined ? { prompter: request.prompter } : {}),
    ...(request.logger !== undefined ? { logger: request.logger } : {}),
    ...(request.handleSignals !== undefined ? { handleSignals: request.handleSignals } : {}),
  });
  const { pipeline } = requireStages(resolvePipeline(invocation.config?.config ?? null, request.pipeline));
  // A pipeline with a stage Landlock may sandbox starts its sandbox thread now, so that it boots beside the run's
  // preparation rather than in the first such stage's way (exec/sandbox-thread.ts). A guess: the thread is unused if
  // the backend turns out to be another, and a stage it missed starts its own.
  if (invocation.sandbox.backend !== "bwrap" && invocation.sandbox.backend !== "seatbelt" && hasSandboxedStage(pipeline, invocation.config?.config)) {
    startSandboxThread(request.env);
  }
  const only = request.only === undefined ? null : selectStages(pipeline, request.only);
  const metadata = await loadTaskMetadata(invocation.roots.repo, invocation.taskId);
  const instructions = await loadInstructions(invocation.roots.repo);
  await hooks.prepared?.(invocation);
  return withPipelineHost(invocation, { cwd: request.cwd, command: "start", approvalPolicy: invocation.policy.policy, only }, async (host) => {
    const run = await createPipelineRun(host, {
      pipeline,
      metadata,
      instructions,
      parentRunId: request.parentRun ?? null,
      span: (runId) => invocation.tracer.startRun({ runId, taskId: invocation.taskId, pipelineId: pipeline.id, command: "start" }),
      depth: 0,
    });
    if (only !== null) run.store.manifest.only = pipeline.stages.map((s) => s.id).filter((id) => only.has(id));
    return { run, recorded: await executeRun(run) };
  });
}

/** Whether a command stage of `pipeline` (not of its sub-pipelines) runs under `read-only` or `workspace-write`. */
function hasSandboxedStage(pipeline: PipelineDefinition, config: OrchestratorConfig | undefined): boolean {
  return pipeline.stages.some((stage) => {
    if (stage.kind !== "command") return false;
    return confiningMode(stageSandbox(stage as CommandStage, pipeline, config).mode);
  });
}
