import type { AttemptContext } from "../autonomy/tool-orchestrator.ts";
import { secretRedactor } from "../core/redact.ts";
import type { SandboxState } from "../core/schemas/common.ts";
import type { OrchestratorEvent } from "../core/schemas/events.ts";
import type { AttemptResult } from "../exec/attempt.ts";
import { CHUNK_BYTES } from "../core/chunk-event.ts";
import type { OutputChunk } from "../exec/chunker.ts";
import { startAttempt } from "../exec/process-runner.ts";
import { withHelperSpawnError } from "../exec/sandbox-exec-error.ts";
import { both, type StageLog } from "../run/run-log.ts";
import type { StageSpan } from "../telemetry/span-types.ts";
import type { CancelScope } from "./cancel-scope.ts";
import { KILL_GRACE_MS } from "./limits.ts";
import type { CommandStage, RunRuntime } from "./stage-context.ts";
import type { ToolRunEvents } from "./tool-run-events.ts";

/** What the orchestrator classifies (its `spawnError` is the message), carrying the full attempt result. */
export type ClassifiedAttempt = {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  spawnError: string | null;
  full: AttemptResult;
};

/**
 * The attempts of one command stage, as the ToolOrchestrator runs them (SPEC §9.7, §15.2): each attempt gets its
 * `exec` span (and the child its TRACEPARENT), `exec:begin`, an `exec:chunk` per output chunk (with its two log lines),
 * `exec:end`; it runs as a process (pipes or a fresh PTY) or inside a live session shell, cancelled through `cancel`.
 */
export class StageAttempts {
  /** One chunk counter over both streams and every attempt of the stage. */
  private sequence = 0;
  /** The last attempt that ran (also when the orchestrator then threw). */
  last: AttemptResult | null = null;
  lastState: SandboxState = "unsandboxed";

  constructor(
    private readonly runtime: RunRuntime,
    private readonly stage: CommandStage,
    private readonly stageSpan: StageSpan,
    private readonly stageLog: StageLog,
    private readonly cancel: CancelScope,
    readonly correlationId: string,
    readonly toolEvents: ToolRunEvents,
  ) {}

  /** Records the event for the tool run and dispatches it; a promise only when a subscriber must be waited for. */
  private emit(event: OrchestratorEvent): Promise<void> | undefined {
    this.toolEvents.add(event);
    return this.runtime.events.dispatch(event);
  }

  /** One attempt (the orchestrator's callback). */
  readonly run = async (ctx: AttemptContext): Promise<ClassifiedAttempt> => {
      this.lastState = ctx.sandboxState;
      const spawnArgv = this.stage.session.shell ? this.stage.argv : ctx.wrapArgv(this.stage.argv, this.stage.cwd, this.stage.env);
      const execSpan = this.stageSpan.startExec({
        argv: secretRedactor().strings(this.stage.argv),
        attempt: ctx.attempt,
        correlationId: this.correlationId,
        sandboxState: ctx.sandboxState,
        sandboxMode: ctx.sandboxMode,
        approvalSource: ctx.approvalSource,
        sessionId: this.stage.session.id,
      });
      const env = execSpan.traceparent ? { ...this.stage.env, TRACEPARENT: execSpan.traceparent } : this.stage.env;
      const begin = this.runtime.events.envelope("exec:begin", {
        attempt: ctx.attempt,
        correlationId: this.correlationId,
        command: this.stage.command,
        args: this.stage.args,
        cwd: this.stage.cwd,
        sessionId: this.stage.session.id,
        sandboxState: ctx.sandboxState,
        persisted: this.stage.session.persisted,
        argv: this.stage.argv,
        sandboxBackend: ctx.sandboxBackend,
        landlockAbi: ctx.landlockAbi,
        stageId: this.stage.id,
        runId: this.runtime.runId,
      });
      await this.stageLog.append({
        type: "exec:begin",
        correlation_id: this.correlationId,
        attempt: ctx.attempt,
        command: this.stage.command,
        args: this.stage.args,
        cwd: this.stage.cwd,
        session_id: this.stage.session.id,
        sandbox_state: ctx.sandboxState,
        sandbox_backend: ctx.sandboxBackend,
        landlock_abi: ctx.landlockAbi,
        persisted: this.stage.session.persisted,
      });
      await this.emit(begin);
      const onChunk = (chunk: OutputChunk): Promise<void> | undefined => {
        this.sequence += 1;
        const sequence = this.sequence;
        const runId = this.runtime.runId;
        // `data` is decoded only if a subscriber reads it; printers and logs take `chunk.json` (see core/chunk-event.ts).
        const payload = {
          attempt: ctx.attempt,
          correlationId: this.correlationId,
          stream: chunk.stream,
          sequence,
          bytes: chunk.bytes,
          get data(): string {
            return chunk.data;
          },
          ...(chunk.encoding ? { encoding: chunk.encoding } : {}),
          stageId: this.stage.id,
          runId,
          [CHUNK_BYTES]: chunk,
        };
        const at = new Date();
        const event = this.runtime.events.envelope("exec:chunk", payload, at);
        const head = { type: "exec:chunk", correlation_id: this.correlationId, attempt: ctx.attempt, stream: chunk.stream, sequence, bytes: chunk.bytes };
        return both(this.stageLog.appendChunk(head, chunk.json, chunk.encoding, at), this.emit(event));
      };
      let result: AttemptResult;
      if (this.stage.session.shell) {
        // Loaded only for a live session shell (its module brings the session client and node:net).
        const { runInShell } = await import("./shell-attempt.ts");
        result = await runInShell(this.stage.session.shell, this.stage.command, {
          env: this.stage.envOverrides ?? {},
          timeoutMs: this.stage.timeoutSeconds ? this.stage.timeoutSeconds * 1000 : undefined,
          cancel: this.cancel,
          onChunk,
        });
      } else {
        const running = startAttempt(
          {
            argv: spawnArgv,
            cwd: this.stage.cwd,
            env,
            ...(this.stage.tty ? { tty: this.stage.tty } : {}),
            ...(this.stage.tty && this.stage.input ? { input: this.stage.input } : {}),
            ...(this.stage.stdin === true ? { stdin: "inherit" as const } : {}),
            ...(this.stage.timeoutSeconds ? { timeoutMs: this.stage.timeoutSeconds * 1000 } : {}),
            graceMs: KILL_GRACE_MS,
          },
          onChunk,
        );
        const untrack = this.cancel.track(running);
        result = await running.result;
        untrack();
        // The Landlock helper resolves the program inside the sandbox: a program it cannot execute is a spawn error.
        if (ctx.sandboxBackend === "landlock") result = withHelperSpawnError(result);
      }
      this.last = result;
      const status = result.exitCode === 0 && !result.signal ? "succeeded" : "failed";
      await this.stageLog.append({
        type: "exec:end",
        correlation_id: this.correlationId,
        attempt: ctx.attempt,
        exit_code: result.exitCode,
        signal: result.signal,
        duration_ms: result.durationMs,
        status,
      });
      await this.emit(
        this.runtime.events.envelope("exec:end", {
          attempt: ctx.attempt,
          correlationId: this.correlationId,
          exitCode: result.signal ? null : result.exitCode,
          signal: result.signal,
          durationMs: result.durationMs,
          stdout: result.stdout,
          stderr: result.stderr,
          sandboxState: ctx.sandboxState,
          sessionId: this.stage.session.id,
          status,
          spawnError: result.spawnError?.message ?? null,
          timedOut: result.timedOut,
          sandboxBackend: ctx.sandboxBackend,
          landlockAbi: ctx.landlockAbi,
          stageId: this.stage.id,
          runId: this.runtime.runId,
        }),
      );
      execSpan.end({
        exitCode: result.signal ? null : result.exitCode,
        signal: result.signal,
        status,
        sandboxState: ctx.sandboxState,
        retryCount: ctx.attempt - 1,
        sessionId: this.stage.session.id,
        timedOut: result.timedOut,
        spawnError: result.spawnError?.message ?? null,
      });
      return {
        exitCode: result.exitCode,
        signal: result.signal,
        stdout: result.stdout,
        stderr: result.stderr,
        spawnError: result.spawnError?.message ?? null,
        full: result,
      };
  };
}
