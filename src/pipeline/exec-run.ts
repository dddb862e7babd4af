import { cancelExitCode } from "../core/cancel-signal.ts";
import { removeRunOwner, writeRunOwner } from "../run/run-owner.ts";
import { resolve } from "node:path";
import { resolveSandboxMode } from "../autonomy/approval-policy.ts";
import { RunFailedError, errorMessage } from "../core/errors.ts";
import { newRunId } from "../core/ids.ts";
import type { OutputValidation } from "../core/output-schema.ts";
import type { OrchestratorEvent, RunSummaryPayload } from "../core/schemas/events.ts";
import type { CommandEntry, Manifest } from "../core/schemas/manifest.ts";
import { appendSummary, displayString } from "../core/summary.ts";
import { Heartbeat } from "../run/heartbeat.ts";
import { loadInstructions } from "../run/instructions.ts";
import { ManifestStore } from "../run/manifest-store.ts";
import { buildMetricsLine, tryAppendMetricsLine } from "../run/metrics-file.ts";
import { rel, runDir, runFiles } from "../run/paths.ts";
import { RunLog, bindRunStore, outputDroppedLine, storeFaultLine } from "../run/run-log.ts";
import { RunRecorder } from "../run/run-recorder.ts";
import { writeRunSummaryFile } from "../run/run-summary-file.ts";
import { targetsForStatus } from "../telemetry/notification-targets.ts";
import { installSignalHandlers } from "./cancel-scope.ts";
import { stringEnv } from "../platform/env.ts";
import type { ApprovalPrompter } from "../autonomy/approval-prompter.ts";
import type { AttemptInput } from "../exec/attempt.ts";
import { type Invocation, type Logger, prepareInvocation } from "./invocation.ts";
import { type OutputCheck, StdoutCapture, checkOutput, readOutputSchema } from "./output-validation.ts";
import { runMetrics } from "./run-metrics.ts";
import type { CommandStage, RunRuntime } from "./stage-context.ts";
import { type StageResult, runCommandStage } from "./stage-runner.ts";

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

/** What the CLI renders: hooks called as the run goes (the renderer subscribes to `invocation.events`). */
export type ExecHooks = {
  /** Called once the invocation is prepared and before the run is created (subscribe renderers here). */
  prepared(invocation: Invocation, shell: string): void | Promise<void>;
  /** The run exists (its manifest was written): its id and manifest path, before the command starts. */
  started?(run: { runId: string; manifestPath: string }): void;
  /** The final `run:summary`, with notifications filled in; printed before telemetry flush and metrics. */
  summary(event: OrchestratorEvent, trailer: { runId: string; status: string; manifest: string; log: string }): Promise<void>;
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

/** `exec` (SPEC §14.1): a one-stage run of argv, spawned directly. Returns the process exit code. */
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
  const { roots, logger } = invocation;
  const schemaPath = request.outputSchema === undefined ? null : resolve(request.cwd, request.outputSchema);
  const outputSchema = schemaPath === null ? null : await readOutputSchema(schemaPath);
  // `--sandbox`, else the user-global `sandboxMode` (exec has no stage or pipeline config of its own).
  const sandboxMode = resolveSandboxMode({ cli: request.sandbox, userConfig: invocation.userConfig });
  const shell = request.shellCommand ?? displayString(request.argv);
  const argv = request.shellCommand === undefined ? request.argv : ["/bin/sh", "-c", request.shellCommand];
  const commandCwd = request.commandCwd === undefined ? roots.repo : resolve(request.cwd, request.commandCwd);
  const instructions = await loadInstructions(roots.repo);
  await hooks.prepared(invocation, shell);
  const capture = outputSchema === null ? null : new StdoutCapture();
  if (capture !== null) invocation.events.subscribe(capture.onEvent);

  let store: ManifestStore;
  try {
    store = request.resume !== undefined ? await reopenExecRun(request.resume) : await ManifestStore.create({
      roots,
      taskId: invocation.taskId,
      runId: newRunId(),
      taskSlug: null,
      parentRunId: null,
      pipelineId: "exec",
      pipelineTitle: "CLI Exec Command",
      approvalPolicy: invocation.policy.policy,
      status: "in_progress",
      stages: [{ id: "exec", title: `Execute ${shell}`, command: shell, kind: "command" }],
      instructions,
    });
  } catch (error) {
    throw new RunFailedError(`Cannot write the run store under ${roots.runs}: ${errorMessage(error)}`, { cause: error });
  }
  const runId = store.manifest.run_id;
  store.manifest.exec = {
    argv: request.argv,
    cwd: commandCwd,
    tty: request.tty,
    session: request.session ?? null,
    sandbox: request.sandbox ?? null,
    timeout_seconds: request.timeoutSeconds ?? null,
    require_approval: request.requireApproval,
    output_schema: schemaPath,
  };
  const dir = runDir(roots, invocation.taskId, runId);
  const log = new RunLog(dir, { maxOutputBytes: invocation.maxOutputBytes });
  bindRunStore(store, log);
  const warn = log.quiet(logger.warn);
  const heartbeat = new Heartbeat(store, { warn });
  heartbeat.start();
  writeRunOwner(dir);
  try {
    await heartbeat.force();
  } catch (error) {
    await heartbeat.stop();
    throw new RunFailedError(storeFaultLine(roots.runs, log.failure ?? { error, path: store.files.manifest }), { cause: error });
  }
  hooks.started?.({ runId, manifestPath: store.files.manifest });
  const removeSignals = invocation.handleSignals ? installSignalHandlers(invocation.cancel) : () => {};
  const runSpan = invocation.tracer.startRun({ runId, taskId: invocation.taskId, pipelineId: "exec", command: "exec" });
  const runtime: RunRuntime = {
    roots,
    store,
    log,
    recorder: new RunRecorder(log, runId),
    events: invocation.events,
    spans: invocation.spans,
    orchestrator: invocation.orchestrator,
    runSpan,
    cancel: invocation.cancel,
    runId,
    taskId: invocation.taskId,
    pipelineId: "exec",
    warn: logger.warn,
    retryTargets: invocation.retryTargets,
    ...(request.origin !== undefined ? { origin: request.origin } : {}),
  };
  const stage: CommandStage = {
    index: 1,
    id: "exec",
    title: `Execute ${shell}`,
    command: shell,
    argv,
    args: [],
    cwd: commandCwd,
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
              taskId: invocation.taskId,
              cwd: commandCwd,
              env: request.env,
              onNotice: logger.plain,
              // The shell is started in the sandbox its commands are recorded in (issue 15); none can be enforced:
              // the run fails closed before the host is asked for anything.
              sandbox: await (await import("./session-sandbox.ts")).sessionSandbox(invocation.orchestrator, {
                sandboxMode,
                networkAllowed: request.sandboxNetwork === true,
                writableRoots: [roots.repo],
                cwd: commandCwd,
                env: request.env,
              }),
            }),
          },
    sandboxMode,
    networkAllowed: request.sandboxNetwork === true,
    approvalRequired: request.requireApproval,
    writableRoots: [roots.repo],
  };

  const stageSpan = runSpan.startStage("exec", { index: 1, title: stage.title, kind: "command" });
  let result: StageResult;
  const unrecord = invocation.events.subscribe(runtime.recorder.onEvent);
  try {
    result = await runCommandStage(runtime, stage, stageSpan);
  } finally {
    unrecord();
    removeSignals();
  }
  stageSpan.end({ status: result.status, exitCode: result.exitCode });
  // A sandbox that cannot be enforced is the run's one error line (printed by the caller even under --quiet).
  const sandboxFailure = result.sandboxState === "unavailable" ? result.errorMessage : null;
  if (result.attempt?.spawnError) logger.plain(`Command execution failed: ${result.attempt.spawnError.message}`);
  else if (result.attempt === null && result.errorMessage && sandboxFailure === null) logger.plain(result.errorMessage);

  // Finalize (§14.1 step 4).
  const manifest = store.manifest;
  const entry = manifest.commands[0] as CommandEntry;
  const cancelledBy = invocation.cancel.signal;
  // --output-schema: the whole stdout of the command, unless it never ran or the run was cancelled.
  let check: OutputCheck | null = null;
  if (outputSchema !== null && capture !== null && schemaPath !== null) {
    const ran = result.attempt !== null && !result.attempt.spawnError && !cancelledBy;
    check = checkOutput(outputSchema, schemaPath, rel(roots, schemaPath), capture, ran);
  }
  // A mismatch fails a run whose command succeeded (exit 1, one stderr line); a failed command keeps its own failure.
  const schemaFailure = entry.status === "succeeded" && !cancelledBy ? (check?.failure ?? null) : null;
  manifest.status = cancelledBy ? "cancelled" : entry.status === "succeeded" && schemaFailure === null ? "succeeded" : "failed";
  manifest.status_detail = cancelledBy
    ? `cancelled:${cancelledBy}`
    : entry.status === "failed"
      ? "exec-failed"
      : schemaFailure !== null
        ? "output-schema-failed"
        : null;
  manifest.summary = entry.summary;
  if (schemaFailure !== null) manifest.summary = appendSummary(manifest.summary, schemaFailure);
  if (cancelledBy) manifest.summary = appendSummary(manifest.summary, `Run cancelled by ${cancelledBy}.`);
  const dropped = outputDroppedLine(log.output);
  if (dropped !== null) manifest.summary = appendSummary(manifest.summary, dropped);
  if (check !== null) manifest.output_validation = check.record;
  manifest.completed_at = new Date().toISOString();
  manifest.metrics = runMetrics(manifest.toolRuns);
  await heartbeat.stop();
  await log.tolerate(store.withRoom(store.files.manifest, 0, () => heartbeat.force()));

  // run:summary → notifications → print (§14.1 step 5).
  const status = manifest.status as "succeeded" | "failed" | "cancelled";
  const payload = summaryPayload(invocation, store, stage, result, check?.validation ?? null, status, request);
  const event = invocation.events.envelope("run:summary", payload);
  if (targetsForStatus(invocation.notifyTargets, status).length > 0) {
    // Loaded here, not at start-up: it pulls in node:http, node:https and node:child_process (several ms to load,
    // measured), which a run without notification targets never needs.
    const { notifyRunSummary } = await import("../telemetry/notifications.ts");
    const delivered = await notifyRunSummary(invocation.notifyTargets, event, { repo: roots.repo, warn: logger.plain, env: request.env });
    event.payload.notifications = delivered;
    manifest.notifications = delivered;
    await log.tolerate(store.save());
  }
  const trailer = { runId, status, manifest: `${manifest.artifact_root}/manifest.json`, log: manifest.log_path };
  await hooks.summary(event, trailer);

  // Telemetry flush, run-summary.json, metrics line (§14.1 step 6).
  runSpan.end({ status, metrics: manifest.metrics });
  await invocation.tracer.shutdown();
  // Independent writes, each fsync'd by its own module: done side by side, then one manifest save records both
  // (as the pipeline's recordRun does). Measured: about 4 ms less per exec.
  const summaryBytes = () => JSON.stringify(event, null, 2).length;
  const writeSummary = () => log.tolerate(store.withRoom(runFiles(dir).runSummary, summaryBytes, () => writeRunSummaryFile(dir, event)));
  const writeMetrics = () => tryAppendMetricsLine(roots, buildMetricsLine(manifest, new Date()), warn);
  // After a store fault, one at a time: the summary's write frees space (if it must) before the metrics line needs it.
  const [summaryPath, recorded] =
    log.failure === null ? await Promise.all([writeSummary(), writeMetrics()]) : [await writeSummary(), await writeMetrics()];
  if (summaryPath !== null) manifest.run_summary_path = rel(roots, summaryPath);
  if (recorded) manifest.metrics_recorded = true;
  await log.tolerate(store.save());
  await log.close().catch((error) => warn(`Run log not closed cleanly for run ${runId}: ${errorMessage(error)}`));
  await log.tolerate(store.idle());
  removeRunOwner(dir);
  // The run is finalized as far as the disk allowed; its store fault is the command's error (one line, exit 1).
  const fault = log.failure;
  if (fault !== null) throw new RunFailedError(storeFaultLine(roots.runs, fault), { cause: fault.error });

  let exitCode: number;
  if (cancelledBy) exitCode = cancelExitCode(cancelledBy);
  else if (schemaFailure !== null) exitCode = 1;
  // A command that exited 0 in a failed stage (a postExec hook failed, issue 19) still fails the run.
  else exitCode = entry.status === "failed" && entry.exit_code === 0 ? 1 : (entry.exit_code ?? 1);
  const error =
    result.attempt?.spawnError?.message ??
    (result.attempt === null ? result.errorMessage : null) ??
    result.outcome?.hookFailure ??
    result.outcome?.hint ??
    null;
  return { exitCode, runId, status, manifestPath: `${dir}/manifest.json`, manifest, failure: schemaFailure ?? sandboxFailure, error };
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

function summaryPayload(
  invocation: Invocation,
  store: ManifestStore,
  stage: CommandStage,
  result: StageResult,
  validation: OutputValidation | null,
  status: "succeeded" | "failed" | "cancelled",
  request: ExecRequest,
): RunSummaryPayload {
  const m = store.manifest;
  const attempt = result.attempt;
  const record = result.record;
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
      status: result.outcome?.status ?? "failed",
      sandboxState: result.sandboxState,
      correlationId: result.correlationId ?? m.run_id,
      attempts: Math.max(1, result.outcome?.attempts ?? 1),
      timedOut: attempt?.timedOut ?? false,
      spawnError: attempt?.spawnError?.message ?? (attempt === null ? result.errorMessage : null),
      sandboxBackend: result.sandbox.backend,
      landlockAbi: result.sandbox.landlockAbi,
      sandboxReason: result.sandbox.reason ?? null,
    },
    command: {
      argv: stage.argv,
      shell: stage.command,
      cwd: stage.cwd,
      sessionId: stage.session.id,
      persisted: stage.session.persisted,
      tty: request.tty || request.session !== undefined,
      sandboxMode: stage.sandboxMode,
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
    toolRun: record
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
