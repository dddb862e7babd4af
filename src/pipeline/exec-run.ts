import { resolve } from "node:path";
import type { ApprovalPrompter } from "../autonomy/approval-prompter.ts";
import { resolveSandboxMode } from "../autonomy/approval-policy.ts";
import { cancelExitCode } from "../core/cancel-signal.ts";
import { RunFailedError, errorMessage } from "../core/errors.ts";
import { newRunId } from "../core/ids.ts";
import type { OutputSchema } from "../core/output-schema.ts";
import type { SandboxMode } from "../core/schemas/common.ts";
import type { PipelineDefinition } from "../core/schemas/config.ts";
import type { RunSummaryPayload } from "../core/schemas/events.ts";
import type { CommandEntry, Manifest } from "../core/schemas/manifest.ts";
import { appendSummary, displayString } from "../core/summary.ts";
import type { AttemptInput } from "../exec/attempt.ts";
import { stringEnv } from "../platform/env.ts";
import { loadInstructions } from "../run/instructions.ts";
import { ManifestStore } from "../run/manifest-store.ts";
import { rel } from "../run/paths.ts";
import { type Invocation, type Logger, prepareInvocation } from "./invocation.ts";
import type { OutputCheck, StdoutCapture } from "./output-validation.ts";
import { executeRun, openRun } from "./pipeline-run.ts";
import type { ActiveRun, ExecKind, ExecutorOutcome, FinalStatus } from "./run-context.ts";
import type { CommandStage } from "./stage-context.ts";
import { type StageResult, runCommandStage } from "./stage-runner.ts";
import { withPipelineHost } from "./top-level.ts";

export type ExecRequest = {
  argv: string[];
  env: Record<string, string | undefined>;
  /** The process cwd (relative `--cwd` and `--output-schema` resolve against it). */
  cwd: string;
  task?: string | undefined;
  commandCwd?: string | undefined;
  tty: boolean;
  /** The orchestrator's stdin goes to the command (`--stdin`, or by default when stdin is not a terminal; never with a TTY). */
  stdin?: boolean;
  /** `--session <id>`: run inside that live shell of the session host. */
  session?: string | undefined;
  sandbox?: string | undefined;
  /** `--sandbox-network`: the network stays on inside the sandbox. */
  sandboxNetwork?: boolean;
  /** `--sandbox-backend`, `--sandbox-fallback` (issue 15). */
  sandboxBackend?: string | undefined;
  sandboxFallback?: string | undefined;
  approvalPolicy?: string | undefined;
  requireApproval: boolean;
  timeoutSeconds?: number | undefined;
  outputSchema?: string | undefined;
  notify: string[];
  otelEndpoint?: string | undefined;
  quiet: boolean;
  maxOutputBytes?: string | undefined;
  /** `resume` of an exec run (issue 22.6): the run to run again, and its resume event. */
  resume?: { manifestPath: string; actor: string; reason: string; forced: boolean } | undefined;
  /** A shell command line instead of argv (MCP `exec` with a string): `/bin/sh -c <line>`, or typed into the session. */
  shellCommand?: string | undefined;
  /** Who answers approval prompts (MCP elicitation); default the terminal. */
  prompter?: ApprovalPrompter | null;
  logger?: Logger;
  /** Typing into the command's terminal while it runs (with `tty`). */
  input?: AttemptInput;
  /** Who asked, as hooks are told (`exec`, `mcp`). */
  origin?: string;
  /** Whether this run handles SIGINT/SIGTERM/SIGHUP itself (default yes). */
  handleSignals?: boolean;
};

/** What the CLI (or the MCP server) hooks into: renderers subscribe to `invocation.events`, `run:summary` included. */
export type ExecHooks = {
  /** Called once the invocation is prepared and before the run is created (subscribe renderers here). */
  prepared(invocation: Invocation, shell: string): void | Promise<void>;
  /** The run exists (its manifest was written): its id and manifest path, before the command starts. */
  started?(run: { runId: string; manifestPath: string }): void;
};

export type ExecOutcome = {
  exitCode: number;
  runId: string;
  status: string;
  manifestPath: string;
  manifest: Manifest;
  /** The error line of a run that failed without its command failing (an `--output-schema` mismatch), for stderr. */
  failure: string | null;
  /** Why the command did not run or what failed it besides its exit code (refusal, approval, spawn, hook), if anything. */
  error: string | null;
};

/**
 * `exec` (SPEC §14.1): a one-stage pipeline run of argv, spawned directly — the lifecycle of `start` and `resume`
 * (`withPipelineHost`, `executeRun`), with exec's one stage, summary and exit code (`ExecRun`). Returns the outcome.
 */
export async function runExec(request: ExecRequest, hooks: ExecHooks): Promise<ExecOutcome> {
  const invocation = await prepareInvocation({
    env: request.env,
    cwd: request.cwd,
    taskOverride: request.task,
    approvalPolicy: request.approvalPolicy,
    notify: request.notify,
    otelEndpoint: request.otelEndpoint,
    quiet: request.quiet,
    maxOutputBytes: request.maxOutputBytes,
    sandboxBackend: request.sandboxBackend,
    sandboxFallback: request.sandboxFallback,
    ...(request.prompter !== undefined ? { prompter: request.prompter } : {}),
    ...(request.logger !== undefined ? { logger: request.logger } : {}),
    ...(request.handleSignals !== undefined ? { handleSignals: request.handleSignals } : {}),
  });
  const { roots } = invocation;
  const schemaPath = request.outputSchema === undefined ? null : resolve(request.cwd, request.outputSchema);
  // Loaded only with --output-schema (start-up, issue 21).
  const validation = schemaPath === null ? null : await import("./output-validation.ts");
  const outputSchema = schemaPath === null || validation === null ? null : await validation.readOutputSchema(schemaPath);
  // `--sandbox`, else the user-global `sandboxMode` (exec has no stage or pipeline config of its own).
  const sandboxMode = resolveSandboxMode({ cli: request.sandbox, userConfig: invocation.userConfig });
  const shell = request.shellCommand ?? displayString(request.argv);
  const commandCwd = request.commandCwd === undefined ? roots.repo : resolve(request.cwd, request.commandCwd);
  const instructions = await loadInstructions(roots.repo);
  await hooks.prepared(invocation, shell);
  const capture = outputSchema === null || validation === null ? null : new validation.StdoutCapture();
  if (capture !== null) invocation.events.subscribe(capture.onEvent);
  const exec = new ExecRun(request, invocation, { shell, commandCwd, sandboxMode, schemaPath, outputSchema, capture, checkOutput: validation?.checkOutput ?? null });

  const execRecord: NonNullable<Manifest["exec"]> = {
    argv: request.argv,
    cwd: commandCwd,
    tty: request.tty,
    session: request.session ?? null,
    sandbox: request.sandbox ?? null,
    timeout_seconds: request.timeoutSeconds ?? null,
    require_approval: request.requireApproval,
    output_schema: schemaPath,
  };
  const result = await withPipelineHost(invocation, { cwd: request.cwd, command: "exec", approvalPolicy: invocation.policy.policy }, async (host) => {
    let store: ManifestStore;
    try {
      store = request.resume !== undefined ? await reopenExecRun(request.resume) : await ManifestStore.create({
        roots,
        taskId: invocation.taskId,
        runId: newRunId(),
        taskSlug: null,
        parentRunId: null,
        pipelineId: "exec",
        pipelineTitle: EXEC_TITLE,
        approvalPolicy: invocation.policy.policy,
        status: "in_progress",
        stages: [{ id: "exec", title: `Execute ${shell}`, command: shell, kind: "command" }],
        instructions,
        exec: execRecord,
      });
    } catch (error) {
      throw new RunFailedError(`Cannot write the run store under ${roots.runs}: ${errorMessage(error)}`, { cause: error });
    }
    const runId = store.manifest.run_id;
    // A resumed run records what it runs now (a new run has it from its first manifest).
    if (request.resume !== undefined) store.manifest.exec = execRecord;
    const runSpan = invocation.tracer.startRun({ runId, taskId: invocation.taskId, pipelineId: "exec", command: "exec" });
    const pipeline: PipelineDefinition = {
      id: "exec",
      title: EXEC_TITLE,
      stages: [{ kind: "command", id: "exec", title: `Execute ${shell}`, command: shell, allowFailure: false }],
    };
    const run: ActiveRun = { ...openRun(host, store, pipeline, runSpan, 0), exec };
    if (request.origin !== undefined) run.runtime.origin = request.origin;
    const recorded = await executeRun(run, {
      started: () => hooks.started?.({ runId, manifestPath: store.files.manifest }),
      manifestCurrent: request.resume === undefined,
    });
    return { run, recorded };
  });
  return {
    exitCode: result.exitCode,
    runId: result.runId,
    status: result.status,
    manifestPath: result.manifestPath,
    manifest: result.manifest,
    failure: exec.failure,
    error: exec.error,
  };
}

const EXEC_TITLE = "CLI Exec Command";

type ExecInputs = {
  shell: string;
  commandCwd: string;
  sandboxMode: SandboxMode | null;
  schemaPath: string | null;
  outputSchema: OutputSchema | null;
  capture: StdoutCapture | null;
  checkOutput: typeof import("./output-validation.ts").checkOutput | null;
};

/** What makes the run an exec run (`ExecKind`): its one stage, its `run:summary`, its exit code. */
class ExecRun implements ExecKind {
  private stage: CommandStage | null = null;
  private result: StageResult | null = null;
  private check: OutputCheck | null = null;
  private schemaFailure: string | null = null;

  constructor(
    private readonly request: ExecRequest,
    private readonly invocation: Invocation,
    private readonly inputs: ExecInputs,
  ) {}

  /** The run's error line for stderr: an `--output-schema` mismatch, or the sandbox that cannot be enforced. */
  get failure(): string | null {
    const sandboxFailure = this.result?.sandboxState === "unavailable" ? this.result.errorMessage : null;
    return this.schemaFailure ?? sandboxFailure;
  }

  get error(): string | null {
    const result = this.result;
    if (result === null) return null;
    return (
      result.attempt?.spawnError?.message ??
      (result.attempt === null ? result.errorMessage : null) ??
      result.outcome?.hookFailure ??
      result.outcome?.hint ??
      null
    );
  }

  /** The one stage (§14.1 steps 3–4): the command, the output check, the run's summary and failure detail. */
  readonly execute = async (run: ActiveRun): Promise<ExecutorOutcome> => {
    const { invocation, inputs } = this;
    const { logger } = invocation;
    const stage = await this.commandStage(run);
    this.stage = stage;
    const stageSpan = run.runSpan.startStage("exec", { index: 1, title: stage.title, kind: "command" });
    const result = await runCommandStage(run.runtime, stage, stageSpan);
    this.result = result;
    stageSpan.end({ status: result.status, exitCode: result.exitCode });
    if (result.attempt?.spawnError) logger.plain(`Command execution failed: ${result.attempt.spawnError.message}`);
    else if (result.attempt === null && result.errorMessage && result.sandboxState !== "unavailable") logger.plain(result.errorMessage);

    const manifest = run.store.manifest;
    const entry = manifest.commands[0] as CommandEntry;
    const cancelledBy = invocation.cancel.signal;
    // --output-schema: the whole stdout of the command, unless it never ran or the run was cancelled.
    if (inputs.outputSchema !== null && inputs.capture !== null && inputs.schemaPath !== null && inputs.checkOutput !== null) {
      const ran = result.attempt !== null && !result.attempt.spawnError && !cancelledBy;
      this.check = inputs.checkOutput(inputs.outputSchema, inputs.schemaPath, rel(invocation.roots, inputs.schemaPath), inputs.capture, ran);
    }
    // A mismatch fails a run whose command succeeded (exit 1, one stderr line); a failed command keeps its own failure.
    this.schemaFailure = entry.status === "succeeded" && !cancelledBy ? (this.check?.failure ?? null) : null;
    manifest.summary = entry.summary;
    if (this.schemaFailure !== null) manifest.summary = appendSummary(manifest.summary, this.schemaFailure);
    if (this.check !== null) manifest.output_validation = this.check.record;
    const failed = entry.status === "failed";
    return {
      notes: [],
      failureDetail: failed ? "exec-failed" : this.schemaFailure !== null ? "output-schema-failed" : null,
      failed: failed || this.schemaFailure !== null,
    };
  };

  exitCode(run: ActiveRun, status: FinalStatus): number {
    const cancelledBy = this.invocation.cancel.signal;
    if (status === "cancelled" && cancelledBy !== null) return cancelExitCode(cancelledBy);
    if (this.schemaFailure !== null) return 1;
    const entry = run.store.manifest.commands[0] as CommandEntry;
    // A command that exited 0 in a failed stage (a postExec hook failed, issue 19) still fails the run.
    return entry.status === "failed" && entry.exit_code === 0 ? 1 : (entry.exit_code ?? 1);
  }

  /** The exec stage: the argv spawned directly (or the shell line), its terminal, stdin, session and sandbox. */
  private async commandStage(run: ActiveRun): Promise<CommandStage> {
    const { request, invocation, inputs } = this;
    const { roots, logger } = invocation;
    const argv = request.shellCommand === undefined ? request.argv : ["/bin/sh", "-c", request.shellCommand];
    return {
      index: 1,
      id: "exec",
      title: `Execute ${inputs.shell}`,
      command: inputs.shell,
      argv,
      args: [],
      cwd: inputs.commandCwd,
      env: stringEnv(request.env),
      timeoutSeconds: request.timeoutSeconds ?? null,
      tty: request.tty && request.session === undefined ? { cols: 120, rows: 40 } : null,
      stdin: request.stdin === true && !request.tty && request.session === undefined,
      ...(request.input !== undefined ? { input: request.input } : {}),
      session:
        request.session === undefined
          ? { id: crypto.randomUUID(), persisted: false, reused: false, shell: null }
          : {
              id: request.session,
              persisted: true,
              reused: true,
              // Loaded only for --session: the session client brings node:net and the session protocol.
              shell: (await import("./shell-attempt.ts")).hostedShell(roots.runs, request.session, {
                taskId: run.runtime.taskId,
                cwd: inputs.commandCwd,
                env: request.env,
                onNotice: logger.plain,
                // The shell is started in the sandbox its commands are recorded in (issue 15); none can be enforced:
                // the run fails closed before the host is asked for anything.
                sandbox: await (await import("./session-sandbox.ts")).sessionSandbox(invocation.orchestrator, {
                  sandboxMode: inputs.sandboxMode,
                  networkAllowed: request.sandboxNetwork === true,
                  writableRoots: [roots.repo],
                  cwd: inputs.commandCwd,
                  env: request.env,
                }),
              }),
            },
      sandboxMode: inputs.sandboxMode,
      networkAllowed: request.sandboxNetwork === true,
      approvalRequired: request.requireApproval,
      writableRoots: [roots.repo],
    };
  }

  /** `run:summary` of an exec run (docs/specs/exec-jsonl.md): the command, its result and outputs, its tool run. */
  summaryPayload(run: ActiveRun, status: FinalStatus): RunSummaryPayload {
    const m = run.store.manifest;
    const { request } = this;
    const stage = this.stage;
    const result = this.result;
    const attempt = result?.attempt ?? null;
    const record = result?.record ?? null;
    const validation = this.check?.validation ?? null;
    return {
      status,
      run: {
        id: m.run_id,
        taskId: m.task_id,
        pipelineId: "exec",
        manifest: `${m.artifact_root}/manifest.json`,
        artifactRoot: m.artifact_root,
        summary: m.summary,
      },
      result: {
        exitCode: attempt ? (attempt.signal ? null : attempt.exitCode) : 1,
        signal: attempt?.signal ?? null,
        durationMs: attempt?.durationMs ?? 0,
        status: result?.outcome?.status ?? "failed",
        sandboxState: result?.sandboxState ?? "unsandboxed",
        correlationId: result?.correlationId ?? m.run_id,
        attempts: Math.max(1, result?.outcome?.attempts ?? 1),
        timedOut: attempt?.timedOut ?? false,
        spawnError: attempt?.spawnError?.message ?? (attempt === null ? (result?.errorMessage ?? null) : null),
        sandboxBackend: result?.sandbox.backend ?? null,
        landlockAbi: result?.sandbox.landlockAbi ?? null,
        sandboxReason: result?.sandbox.reason ?? null,
      },
      command: {
        argv: stage?.argv ?? request.argv,
        shell: this.inputs.shell,
        cwd: this.inputs.commandCwd,
        sessionId: stage?.session.id ?? request.session ?? "",
        persisted: stage?.session.persisted ?? request.session !== undefined,
        tty: request.tty || request.session !== undefined,
        sandboxMode: this.inputs.sandboxMode,
      },
      outputs: {
        stdout: attempt?.stdout ?? "",
        stderr: attempt?.stderr ?? "",
        ...(validation ? { structured: validation.structured, validationErrors: validation.validationErrors } : {}),
      },
      logs: {
        runner: m.log_path,
        command: (m.commands[0] as CommandEntry).log_path,
      },
      toolRun:
        record && result
          ? {
              ...record,
              events: result.toolEvents.list() as never,
              ...(result.toolEvents.eventsTruncated ? { eventsTruncated: true } : {}),
            }
          : null,
      notifications: { targets: [], delivered: [], failures: [] },
      metrics: m.metrics,
      runId: m.run_id,
    };
  }
}

/**
 * Opens an exec run for `resume` (issue 22.6; SPEC §12 steps 6–7 for its one entry): the accepted resume event, the
 * run back `in_progress`/`resuming`, the entry and the summary cleared, so the command runs again from scratch.
 */
async function reopenExecRun(resume: NonNullable<ExecRequest["resume"]>): Promise<ManifestStore> {
  const store = await ManifestStore.open(resume.manifestPath);
  const m = store.manifest;
  const event: Manifest["resume_events"][number] = { actor: resume.actor, reason: resume.reason, outcome: "accepted", timestamp: new Date().toISOString() };
  if (resume.forced) event.detail = "forced";
  m.resume_events.push(event);
  m.status = "in_progress";
  m.status_detail = "resuming";
  m.completed_at = null;
  m.metrics_recorded = false;
  m.summary = null;
  const entry = m.commands[0];
  if (entry !== undefined) {
    entry.status = "pending";
    entry.error_file = null;
  }
  await store.save();
  return store;
}
