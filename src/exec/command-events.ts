import { CHUNK_BYTES } from "../core/chunk-event.ts";
import type { EventStream } from "../core/event-stream.ts";
import { EXEC_BEGIN_CONTEXT, type ExecBeginContext } from "../core/exec-begin-context.ts";
import type { SandboxBackendName, SandboxState } from "../core/schemas/common.ts";
import type { OrchestratorEvent } from "../core/schemas/events.ts";
import type { AttemptResult, ChunkHandler } from "./attempt.ts";
import type { OutputChunk } from "./chunker.ts";

/** What every event of one command invocation says about it (the same for all its attempts). */
export type CommandIdentity = {
  runId: string;
  stageId: string;
  correlationId: string;
  /** Display string (exec) or shell line (stages). */
  command: string;
  args: readonly string[];
  cwd: string;
  sessionId: string;
  persisted: boolean;
  /** The command's argv, without a sandbox wrapper. */
  argv: readonly string[];
  /** A stage cache hit replayed (issue 18): `cached: true` on its `exec:begin` and `exec:end`; the command never ran. */
  cached?: boolean;
};

/** The sandbox one attempt runs in, as its events report it. */
export type AttemptSandbox = {
  sandboxState: SandboxState;
  sandboxBackend: SandboxBackendName | null;
  landlockAbi: number | null;
};

/**
 * The producer of `exec:begin`, `exec:chunk`, `exec:end` and `exec:retry` (docs/specs/exec-jsonl.md): one per
 * command invocation, emitting onto the run's stream. Whatever records the command — its log, its tool-run events,
 * its spans, the printers — subscribes to the stream; nothing writes beside an emit.
 *
 * The chunk counter runs over both streams and every attempt. Output bytes arrive redacted (`OutputSink`); the
 * other payload fields are redacted by the stream when it stamps the event (`EventStream.envelope`).
 */
export class CommandEvents {
  private sequence = 0;

  constructor(
    private readonly stream: EventStream,
    private readonly id: CommandIdentity,
  ) {}

  get correlationId(): string {
    return this.id.correlationId;
  }

  /**
   * `exec:begin` of attempt `attempt`. `context` travels with the event under a symbol (never serialized): what the
   * span subscriber needs besides the payload, and where it leaves the attempt's `TRACEPARENT`, which the caller reads
   * once this resolves (before the spawn).
   */
  async begin(attempt: number, sandbox: AttemptSandbox, context?: ExecBeginContext): Promise<OrchestratorEvent> {
    const { id } = this;
    return this.stream.emit("exec:begin", {
      attempt,
      correlationId: id.correlationId,
      command: id.command,
      args: [...id.args],
      cwd: id.cwd,
      sessionId: id.sessionId,
      sandboxState: sandbox.sandboxState,
      persisted: id.persisted,
      argv: [...id.argv],
      sandboxBackend: sandbox.sandboxBackend,
      landlockAbi: sandbox.landlockAbi,
      stageId: id.stageId,
      runId: id.runId,
      ...(id.cached === true ? { cached: true } : {}),
      ...(context === undefined ? {} : { [EXEC_BEGIN_CONTEXT]: context }),
    } as never);
  }

  /** The chunk handler of attempt `attempt`: one `exec:chunk` per chunk; a promise only when a subscriber must be waited for. */
  chunks(attempt: number): ChunkHandler {
    const { id, stream } = this;
    return (chunk: OutputChunk): Promise<void> | undefined => {
      this.sequence += 1;
      // `data` is decoded only if a subscriber reads it; printers and logs take `chunk.json` (see core/chunk-event.ts).
      const payload = {
        attempt,
        correlationId: id.correlationId,
        stream: chunk.stream,
        sequence: this.sequence,
        bytes: chunk.bytes,
        get data(): string {
          return chunk.data;
        },
        ...(chunk.encoding ? { encoding: chunk.encoding } : {}),
        stageId: id.stageId,
        runId: id.runId,
        [CHUNK_BYTES]: chunk,
      };
      return stream.dispatch(stream.envelope("exec:chunk", payload));
    };
  }

  /** `exec:end` of attempt `attempt`. */
  end(attempt: number, sandbox: AttemptSandbox, result: AttemptResult): Promise<OrchestratorEvent> {
    const { id } = this;
    return this.stream.emit("exec:end", {
      attempt,
      correlationId: id.correlationId,
      exitCode: result.signal ? null : result.exitCode,
      signal: result.signal,
      durationMs: result.durationMs,
      stdout: result.stdout,
      stderr: result.stderr,
      sandboxState: sandbox.sandboxState,
      sessionId: id.sessionId,
      status: attemptStatus(result),
      spawnError: result.spawnError?.message ?? null,
      timedOut: result.timedOut,
      sandboxBackend: sandbox.sandboxBackend,
      landlockAbi: sandbox.landlockAbi,
      stageId: id.stageId,
      runId: id.runId,
      ...(id.cached === true ? { cached: true } : {}),
    });
  }

  /** `exec:retry` after attempt `attempt` failed in a way the orchestrator retries. */
  retry(info: { attempt: number; delayMs: number; sandboxState: SandboxState; errorMessage: string }): Promise<OrchestratorEvent> {
    return this.stream.emit("exec:retry", {
      attempt: info.attempt,
      correlationId: this.id.correlationId,
      delayMs: info.delayMs,
      sandboxState: info.sandboxState,
      errorMessage: info.errorMessage,
      stageId: this.id.stageId,
      runId: this.id.runId,
    });
  }
}

/** `succeeded` iff the attempt exited 0 (not signalled). */
export function attemptStatus(result: Pick<AttemptResult, "exitCode" | "signal">): "succeeded" | "failed" {
  return result.exitCode === 0 && !result.signal ? "succeeded" : "failed";
}

