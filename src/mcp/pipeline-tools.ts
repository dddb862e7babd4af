import { UsageError } from "../core/errors.ts";
import { validateRunId } from "../core/ids.ts";
import type { OrchestratorEvent } from "../core/schemas/events.ts";
import { loadConfig } from "../pipeline/config-loader.ts";
import type { Invocation } from "../pipeline/invocation.ts";
import { describePlan } from "../pipeline/plan.ts";
import { resolvePipeline } from "../pipeline/resolve.ts";
import { runResume } from "../pipeline/resume-run.ts";
import { runStart } from "../pipeline/start-run.ts";
import { statusReport } from "../pipeline/status-report.ts";
import type { PipelineResult as RunResult } from "../pipeline/top-level.ts";
import { resolveStoreRoots } from "../run/paths.ts";
import { latestRun } from "../run/run-catalog.ts";
import { findRun } from "../run/run-lookup.ts";
import type { ToolAnswer } from "./exec-tools.ts";
import { type CallContext, type McpContext, callLogger } from "./mcp-context.ts";
import type { PipelineResult, PlanArgs, ResumeArgs, StartArgs, StatusArgs } from "./tool-schemas.ts";

/** While a pipeline runs with nothing to report, a progress notification this often keeps the client's timeout away. */
const KEEPALIVE_MS = 5_000;

/** `start` (issue 19): the run `codex-orchestrator start` makes, with progress notifications per stage. */
export async function startTool(ctx: McpContext, call: CallContext, args: StartArgs): Promise<ToolAnswer> {
  const notes: string[] = [];
  const progress = new StageProgress(call);
  const result = await runStart(
    {
      env: ctx.env,
      cwd: ctx.cwd,
      pipeline: args.pipeline,
      task: ctx.task,
      parentRun: args.parent_run === undefined ? undefined : validateRunId(args.parent_run, "parent_run"),
      approvalPolicy: ctx.approvalPolicy,
      notify: [],
      prompter: call.prompter,
      logger: callLogger(notes),
      handleSignals: false,
    },
    {
      prepared: (invocation) =>
        progress.attach(ctx, invocation, resolvePipeline(invocation.config?.config ?? null, args.pipeline).pipeline.stages.length),
    },
  ).finally(() => progress.detach(ctx));
  return pipelineAnswer("Run", result, notes);
}

/** `resume`: reruns what did not finish, as `codex-orchestrator resume`. */
export async function resumeTool(ctx: McpContext, call: CallContext, args: ResumeArgs): Promise<ToolAnswer> {
  const notes: string[] = [];
  const progress = new StageProgress(call);
  const result = await runResume(
    {
      env: ctx.env,
      cwd: ctx.cwd,
      runId: args.run_id,
      task: ctx.task,
      token: args.token,
      actor: "mcp",
      reason: args.reason ?? "manual-resume",
      force: args.force === true,
      notify: [],
      prompter: call.prompter,
      logger: callLogger(notes),
      handleSignals: false,
    },
    { prepared: (invocation) => progress.attach(ctx, invocation, undefined) },
  ).finally(() => progress.detach(ctx));
  return pipelineAnswer("Run resumed", result, notes);
}

/** `status`: `status --format json` of a run, or of the task's newest. */
export async function statusTool(ctx: McpContext, args: StatusArgs): Promise<ToolAnswer> {
  const roots = resolveStoreRoots({ env: ctx.env, cwd: ctx.cwd });
  let runId = args.run_id;
  if (runId === undefined) {
    const newest = await latestRun(roots, ctx.taskId);
    if (newest === null) throw new UsageError(`No runs for task '${ctx.taskId}' under ${roots.runs}.`);
    runId = newest.runId;
  }
  const run = await findRun(roots, runId, { task: args.run_id === undefined ? ctx.taskId : ctx.task, env: ctx.env });
  const report = await statusReport(roots, run);
  return { structured: report as unknown as Record<string, unknown>, text: JSON.stringify(report, null, 2), isError: false };
}

/** `plan`: the stages a pipeline would run (`plan --format json`); writes nothing. */
export async function planTool(ctx: McpContext, args: PlanArgs): Promise<ToolAnswer> {
  const roots = resolveStoreRoots({ env: ctx.env, cwd: ctx.cwd });
  const doc = describePlan(resolvePipeline(loadConfig(roots.repo)?.config ?? null, args.pipeline));
  return { structured: doc as unknown as Record<string, unknown>, text: JSON.stringify(doc, null, 2), isError: false };
}

function pipelineAnswer(what: string, result: RunResult, notes: string[]): ToolAnswer {
  const structured: PipelineResult = {
    run_id: result.runId,
    status: result.status,
    exit_code: result.exitCode,
    manifest: result.manifestPath,
    log: result.logPath,
    failure: result.failure as unknown as Record<string, unknown> | null,
  };
  const lines = [`${what}: ${result.runId}`, `Status: ${result.status}`, `Manifest: ${result.manifestPath}`];
  if (result.failure !== null) {
    lines.push(`Failed stage: ${result.failure.stages.join(" › ")}${result.failure.exitCode === null ? "" : ` (exit code ${result.failure.exitCode})`}`);
    if (result.failure.reason !== null) lines.push(result.failure.reason);
    lines.push(...result.failure.stderr);
  }
  return { structured, text: [...lines, ...notes].join("\n"), isError: false };
}

/** MCP progress notifications from a pipeline's stage events (top-level stages), with a keep-alive between them. */
class StageProgress {
  private done = 0;
  private total: number | undefined;
  private timer: ReturnType<typeof setInterval> | null = null;
  private invocation: Invocation | null = null;
  private lastMessage = "starting";
  /** The top-level run: the first run whose stage begins (a sub-pipeline's stages belong to a child run). */
  private runId: string | null = null;
  /** Stage titles by index (`stage:end` carries only the id). */
  private readonly titles = new Map<unknown, string>();

  constructor(private readonly call: CallContext) {}

  attach(ctx: McpContext, invocation: Invocation, total: number | undefined): void {
    this.invocation = invocation;
    this.total = total;
    ctx.active.add(invocation.cancel);
    this.call.signal.addEventListener("abort", () => invocation.cancel.cancel("SIGTERM"), { once: true });
    if (this.call.progress === null) return;
    invocation.events.subscribe((event) => this.onEvent(event));
    this.timer = setInterval(() => this.send(this.lastMessage), KEEPALIVE_MS);
    this.timer.unref?.();
  }

  detach(ctx: McpContext): void {
    if (this.timer !== null) clearInterval(this.timer);
    if (this.invocation !== null) ctx.active.delete(this.invocation.cancel);
  }

  private onEvent(event: OrchestratorEvent): undefined {
    if (event.type !== "stage:begin" && event.type !== "stage:end") return undefined;
    const p = event.payload as Record<string, unknown>;
    this.runId ??= String(p.runId);
    if (p.runId !== this.runId) return undefined;
    if (event.type === "stage:begin") {
      this.titles.set(p.index, String(p.title ?? p.stageId ?? ""));
      this.lastMessage = `stage ${String(p.index ?? "")} ${String(p.title ?? p.stageId ?? "")} started`;
      this.send(this.lastMessage);
    } else if (event.type === "stage:end") {
      this.done += 1;
      this.lastMessage = `stage ${String(p.index ?? "")} ${this.titles.get(p.index) ?? String(p.stageId ?? "")} ${String(p.status ?? "ended")}`;
      this.send(this.lastMessage);
    }
    return undefined;
  }

  private send(message: string): void {
    this.call.progress?.(this.done, this.total, message);
  }
}
