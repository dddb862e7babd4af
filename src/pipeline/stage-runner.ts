import { ApprovalError } from "../autonomy/approval-error.ts";
import { SandboxUnavailableError } from "../autonomy/sandbox-unavailable-error.ts";
import { CommandRefusedError } from "../autonomy/command-refusal.ts";
import { buildRefusedToolRunRecord, buildToolRunRecord, toolInvocationId, upsertToolRun } from "../autonomy/tool-run-record.ts";
import type { ToolOutcome } from "../autonomy/tool-orchestrator.ts";
import { errorMessage } from "../core/errors.ts";
import type { SandboxState } from "../core/schemas/common.ts";
import type { CommandEntry, CommandSandbox } from "../core/schemas/manifest.ts";
import type { ToolRunRecord } from "../core/schemas/tool-run.ts";
import { stageSummary } from "../core/summary.ts";
import type { AttemptResult } from "../exec/attempt.ts";
import { CommandEvents } from "../exec/command-events.ts";
import { rel } from "../run/paths.ts";
import { storeFaultText } from "../run/run-log.ts";
import type { ToolRunEvents } from "../run/tool-run-events.ts";
import { signalNumber } from "../platform/signals.ts";
import { writeErrorArtifact } from "../run/error-artifact.ts";
import type { StageSpan } from "../telemetry/span-types.ts";
import { CancelScope } from "./cancel-scope.ts";
import { type ClassifiedAttempt, StageAttempts } from "./stage-attempt.ts";
import type { CommandStage, RunRuntime } from "./stage-context.ts";

export type StageResult = {
  status: "succeeded" | "failed" | "skipped" | "cancelled";
  /** The entry's exit code: the raw code, 128+n when signalled, 127/126/1 after a spawn failure. */
  exitCode: number | null;
  attempt: AttemptResult | null;
  outcome: ToolOutcome<ClassifiedAttempt> | null;
  correlationId: string;
  record: ToolRunRecord | null;
  toolEvents: ToolRunEvents;
  summary: string;
  /** Spawn or approval failure message (`Execution error: <message>` lines). */
  errorMessage: string | null;
  durationMs: number;
  sandboxState: SandboxState;
  /** The sandbox of the command as the manifest entry records it (issue 15). */
  sandbox: CommandSandbox;
};

export function entryExitCode(result: Pick<AttemptResult, "exitCode" | "signal">): number | null {
  if (result.signal) return 128 + (signalNumber(result.signal) ?? 0);
  return result.exitCode;
}

/**
 * Runs one command stage through the ToolOrchestrator (SPEC §9.3): updates the `commands[]` entry, streams
 * `exec:*` events to the event stream (output, telemetry, …) and to the stage logs, records the tool run, and writes
 * the error artifact of a failure. Pipeline-level consequences (status_detail, summary lines, stopping) are the
 * caller's.
 */
export async function runCommandStage(runtime: RunRuntime, stage: CommandStage, stageSpan: StageSpan): Promise<StageResult> {
  const { store } = runtime;
  const entry = store.manifest.commands[stage.index - 1] as CommandEntry;
  // The stage's log is the recorder's: it opens here (`command:start`), takes the stage's events from the stream, and
  // closes with `command:end` below.
  const opened = runtime.recorder.openStage(stage.index, stage.id, stage.command);
  entry.log_path = rel(runtime.roots, runtime.recorder.stagePath(stage.id) as string);
  entry.status = "running";
  entry.started_at = new Date().toISOString();
  entry.completed_at = null;
  entry.exit_code = null;
  entry.summary = null;
  entry.session = { id: stage.session.id, persisted: stage.session.persisted, reused: stage.session.reused };
  // Not awaited before the spawn: written at the end of this event-loop turn, i.e. once the command has started and
  // while it runs (a whole save, ~1 ms, hidden behind the child). It also records the previous stage's end.
  store.saveSoon();
  await opened;

  // The attempts of this stage are cancelled by the run's scope (SIGINT/SIGTERM) and also when the run's store can no
  // longer be written (issue 10, B2): a run whose log cannot be written cannot be recorded honestly, so its command
  // gets SIGTERM (to its group, then SIGKILL after the grace) without cancelling the run.
  const attempts = new CancelScope();
  const offRunCancel = runtime.cancel.onCancel((signal) => attempts.cancel(signal));
  if (runtime.cancel.signal !== null) attempts.cancel(runtime.cancel.signal);
  const offLogFailure = runtime.log.onFailure(() => attempts.cancel("SIGTERM"));
  if (runtime.log.failure !== null) attempts.cancel("SIGTERM");

  const correlationId = crypto.randomUUID();
  const events = new CommandEvents(runtime.events, {
    runId: runtime.runId,
    stageId: stage.id,
    correlationId,
    command: stage.command,
    args: stage.args,
    cwd: stage.cwd,
    sessionId: stage.session.id,
    persisted: stage.session.persisted,
    argv: stage.argv,
  });
  // For the time of this invocation: the recorder keeps its events for `run:summary.toolRun`, the span subscriber puts
  // its attempts under the stage span.
  const toolEvents = runtime.recorder.watchToolRun(correlationId);
  const offSpans = runtime.spans?.stage(runtime.runId, stage.id, stageSpan) ?? (() => {});
  const invocationId = toolInvocationId(runtime.runId, stage.id === "exec" && runtime.pipelineId === "exec" ? "exec" : stage.id, Date.now());
  let outcome: ToolOutcome<ClassifiedAttempt> | null = null;
  let failure: string | null = null;
  let unavailable: SandboxUnavailableError | null = null;
  let refused: CommandRefusedError | null = null;
  const started = performance.now();

  const attemptsOf = new StageAttempts(stage, attempts, events);

  runtime.retryTargets.set(invocationId, (info) => events.retry(info).then(() => undefined));
  try {
    outcome = await runtime.orchestrator.invoke(
      {
        id: invocationId,
        tool: "cli:command",
        description: stage.title,
        command: stage.command,
        cwd: stage.cwd,
        approvalRequired: stage.approvalRequired === true,
        approvalKey: stage.approvalKey ?? null,
        sandboxMode: stage.sandboxMode,
        networkAllowed: stage.networkAllowed === true,
        // A live session shell was started inside its sandbox: its commands cannot leave it.
        escalatable: stage.session.shell === null,
        writableRoots: stage.writableRoots ?? [],
        // A command typed into a live shell is a shell line; anything else is the argv spawned.
        argv: stage.session.shell === null ? stage.argv : ["/bin/sh", "-c", stage.command],
        context: {
          runId: runtime.runId,
          taskId: runtime.taskId,
          pipelineId: runtime.pipelineId,
          stageId: stage.id,
          sessionId: stage.session.persisted ? stage.session.id : null,
          origin: runtime.origin ?? (runtime.pipelineId === "exec" ? "exec" : "stage"),
        },
      },
      attemptsOf.run,
    );
  } catch (error) {
    failure = errorMessage(error);
    // Nothing ran, and the caller prints the one line: the approval error, or the sandbox that cannot be enforced.
    if (error instanceof SandboxUnavailableError) unavailable = error;
    else if (error instanceof CommandRefusedError) refused = error;
    else if (!(error instanceof ApprovalError)) runtime.warn(`Command execution failed: ${failure}`);
  }
  runtime.retryTargets.delete(invocationId);
  runtime.recorder.unwatchToolRun(correlationId);
  offSpans();
  offRunCancel();
  offLogFailure();
  if (outcome?.sandboxWarning) runtime.warn(outcome.sandboxWarning);
  if (outcome?.hookFailure) {
    // A postExec hook that failed or objected fails the stage although its command ran (fail closed, issue 19).
    failure = outcome.hookFailure;
    runtime.warn(outcome.hookFailure);
  }
  if (outcome?.hint) {
    // The hint (e.g. the grant command of the escalation key) is what lets the user continue: without this line it
    // only reached the error artifact, so a denied command gave no hint on the terminal.
    failure = outcome.hint;
    runtime.warn(outcome.hint);
  }

  const durationMs = Math.round(performance.now() - started);
  const attempt: AttemptResult | null = outcome?.result.full ?? attemptsOf.last;
  const exitCode = attempt ? entryExitCode(attempt) : 1;
  const cancelled = runtime.cancel.cancelled && attempt !== null && attempt.cancelledBy !== null;
  let status: StageResult["status"];
  let summary: string;
  const spawnMessage = attempt?.spawnError?.message ?? null;
  const storeFault = runtime.log.failure;
  const storeMessage = storeFault === null ? null : `cannot write the run log: ${storeFaultText(storeFault)}`;
  if (storeMessage !== null && !cancelled) {
    // Whatever the command did, its record is incomplete: the stage fails like one that could not be run.
    status = "failed";
    summary = `Execution error: ${storeMessage}`;
  } else if (attempt === null) {
    status = "failed";
    summary = `Execution error: ${failure ?? "the command did not run"}`;
  } else if (spawnMessage !== null) {
    status = "failed";
    summary = `Execution error: ${spawnMessage}`;
  } else if (outcome?.hookFailure !== undefined && !cancelled) {
    status = "failed";
    summary = `Execution error: ${outcome.hookFailure}`;
  } else {
    summary = stageSummary({
      summaryHint: stage.summaryHint ?? null,
      exitCode: attempt.signal ? null : attempt.exitCode,
      signal: attempt.signal,
      stdout: attempt.stdout,
      stderr: attempt.stderr,
      timedOutAfterSeconds: attempt.timedOut ? (stage.timeoutSeconds ?? null) : null,
    });
    if (cancelled) status = "cancelled";
    else if (attempt.exitCode === 0 && !attempt.signal) status = "succeeded";
    else status = stage.allowFailure ? "skipped" : "failed";
  }

  // The run's log is closed (and its errors reported) at the end of the run: the next stage need not wait.
  await runtime.recorder.closeStage(stage.id, {
    exit_code: exitCode,
    signal: attempt?.signal ?? null,
    duration_ms: attempt?.durationMs ?? durationMs,
  });

  entry.completed_at = new Date().toISOString();
  entry.exit_code = exitCode;
  entry.summary = summary;
  entry.status = status;
  const sandboxState: SandboxState = unavailable !== null ? "unavailable" : (outcome?.sandboxState ?? attemptsOf.lastState);
  const sandbox: CommandSandbox = {
    mode: stage.sandboxMode,
    state: sandboxState,
    backend: outcome?.sandboxBackend ?? null,
    landlockAbi: outcome?.landlockAbi ?? null,
    ...(unavailable !== null ? { reason: unavailable.reason } : outcome?.sandboxReason !== undefined ? { reason: outcome.sandboxReason } : {}),
  };
  entry.sandbox = sandbox;
  if (status === "failed") {
    const errorsDir = runtime.store.files.errorsDir;
    const path = await runtime.store.withRoom(errorsDir, 16 * 1024, () => writeErrorArtifact(runtime.log.runDir, {
      runId: runtime.runId,
      taskId: runtime.taskId,
      commandIndex: stage.index,
      commandId: stage.id,
      command: stage.command,
      reason:
        storeMessage !== null
          ? "command-failed"
          : unavailable !== null
            ? "sandbox-unavailable"
            : attempt === null
              ? "approval-denied"
              : spawnMessage !== null
                ? "spawn-failed"
                : "command-failed",
      exitCode,
      sandboxState,
      stderr: attempt?.stderr ?? "",
      signal: attempt?.signal ?? null,
      stdoutBytes: attempt?.stdoutBytes ?? 0,
      stderrBytes: attempt?.stderrBytes ?? 0,
      error: storeMessage ?? spawnMessage ?? failure,
      createdAt: new Date(),
    })).catch((error) => {
      // On a store that cannot be written the artifact is given up (the fault is reported once, at the end).
      if (runtime.log.failure === null) throw error;
      return null;
    });
    if (path !== null) entry.error_file = rel(runtime.roots, path);
  }

  let record: ToolRunRecord | null = null;
  const metadata = {
    stageId: stage.id,
    pipelineId: runtime.pipelineId,
    runId: runtime.runId,
    commandIndex: stage.index,
    command: stage.command,
    args: stage.args,
    cwd: stage.cwd,
    sessionId: stage.session.id,
    correlationId,
    persisted: stage.session.persisted,
    timeoutSeconds: stage.timeoutSeconds ?? null,
  };
  if (refused !== null) {
    record = buildRefusedToolRunRecord(
      refused,
      { id: invocationId, tool: "cli:command", policy: runtime.orchestrator.policy, sandboxMode: stage.sandboxMode },
      metadata,
    );
    store.manifest.toolRuns = upsertToolRun(store.manifest.toolRuns, record);
  }
  if (outcome !== null) {
    record = buildToolRunRecord(outcome, {
      ...metadata,
      exec: {
        command: stage.command,
        args: stage.args,
        cwd: stage.cwd,
        sessionId: stage.session.id,
        persisted: stage.session.persisted,
        correlationId,
        exitCode: attempt?.signal ? null : (attempt?.exitCode ?? null),
        signal: attempt?.signal ?? null,
      },
    });
    store.manifest.toolRuns = upsertToolRun(store.manifest.toolRuns, record);
  }
  // Written by the next stage's `running` save or the run's final save, whichever comes first (same event-loop turn
  // when stages follow each other), else at the end of this turn.
  store.saveSoon();
  return {
    status,
    exitCode,
    attempt,
    outcome,
    correlationId,
    record,
    toolEvents,
    summary,
    errorMessage: status === "failed" && storeMessage !== null ? storeMessage : (spawnMessage ?? (attempt === null ? failure : null)),
    durationMs,
    sandboxState,
    sandbox,
  };
}
