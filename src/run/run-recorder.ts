import { chunkBytesOf } from "../core/chunk-event.ts";
import type { EventSubscriber } from "../core/event-stream.ts";
import { redact } from "../core/redact.ts";
import type { OrchestratorEvent } from "../core/schemas/events.ts";
import type { RunLog, StageLog } from "./run-log.ts";
import { ToolRunEvents } from "./tool-run-events.ts";

/**
 * The recorder of one run (SPEC §9.7): a subscriber of the invocation's event stream that writes the `exec:*` events
 * of this run's stages into their logs (`commands/NN-<slug>.ndjson`, and `runner.ndjson` for all but the chunks), and
 * keeps the events of each tool invocation it is asked to watch for its record (`run:summary.toolRun.events`). One
 * subscriber for both: it is called for every output chunk.
 * The stage runner opens a stage's log (`command:start`) and closes it (`command:end`); what happens in between
 * reaches the log only as events. A stage is told apart by `runId` and `stageId`, so concurrent stages and child runs
 * on the same stream land in their own files.
 *
 * The events arrive redacted (the stream redacts their fields, the output bytes were redacted at their source), so the
 * lines are written as they are. A full log buffer returns its promise: the producer waits (back-pressure).
 */
export class RunRecorder {
  private readonly stages = new Map<string, StageLog>();
  private readonly toolRuns = new Map<string, ToolRunEvents>();

  constructor(
    private readonly log: RunLog,
    readonly runId: string,
  ) {}

  /** Opens the log of stage `index` and writes its `command:start` line. */
  openStage(index: number, stageId: string, command: string): Promise<void> | undefined {
    const stage = this.log.stage(index, stageId);
    this.stages.set(stageId, stage);
    return stage.append({ type: "command:start", command: redact(command) });
  }

  /** A line of the stage's own that no event carries (a stage cache hit's `cache:hit`, issue 18). */
  note(stageId: string, line: { type: string } & Record<string, unknown>): Promise<void> | undefined {
    return this.stages.get(stageId)?.append(line);
  }

  /** The absolute path of an open stage's log. */
  stagePath(stageId: string): string | null {
    return this.stages.get(stageId)?.path ?? null;
  }

  /**
   * Writes `command:end` and closes the stage's file without waiting for the disk (the next stage need not wait;
   * `RunLog.close()` waits for it and reports its error).
   */
  async closeStage(stageId: string, end: { exit_code: number | null; signal: string | null; duration_ms: number }): Promise<void> {
    const stage = this.stages.get(stageId);
    if (stage === undefined) return;
    this.stages.delete(stageId);
    await stage.append({ type: "command:end", ...end });
    stage.closeInBackground();
  }

  /** Starts keeping the events of tool invocation `correlationId` (until `unwatch`). */
  watchToolRun(correlationId: string): ToolRunEvents {
    const events = new ToolRunEvents();
    this.toolRuns.set(correlationId, events);
    return events;
  }

  unwatchToolRun(correlationId: string): void {
    this.toolRuns.delete(correlationId);
  }

  readonly onEvent: EventSubscriber = (event: OrchestratorEvent): Promise<void> | undefined => {
    if (!event.type.startsWith("exec:")) return undefined;
    const payload = event.payload as { runId: string; stageId?: string; correlationId: string };
    if (payload.runId !== this.runId) return undefined;
    this.toolRuns.get(payload.correlationId)?.add(event);
    const stage = payload.stageId === undefined ? undefined : this.stages.get(payload.stageId);
    if (stage === undefined) return undefined;
    return writeEvent(stage, event);
  };
}

/** The log line of one `exec:*` event (docs/manifest.md "Log lines"), at the event's own timestamp. */
function writeEvent(stage: StageLog, event: OrchestratorEvent): Promise<void> | undefined {
  const at = event.timestamp;
  switch (event.type) {
    case "exec:chunk": {
      const p = event.payload;
      const bytes = chunkBytesOf(event);
      // A chunk from elsewhere (no bytes attached) is serialized from its data.
      const json = bytes?.json ?? new TextEncoder().encode(JSON.stringify(p.data).slice(1, -1));
      return stage.appendChunk(
        { type: "exec:chunk", correlation_id: p.correlationId, attempt: p.attempt, stream: p.stream, sequence: p.sequence, bytes: p.bytes },
        json,
        p.encoding,
        at,
      );
    }
    case "exec:begin": {
      const p = event.payload;
      return stage.append(
        {
          type: "exec:begin",
          correlation_id: p.correlationId,
          attempt: p.attempt,
          command: p.command,
          args: p.args,
          cwd: p.cwd,
          session_id: p.sessionId,
          sandbox_state: p.sandboxState,
          sandbox_backend: p.sandboxBackend ?? null,
          landlock_abi: p.landlockAbi ?? null,
          persisted: p.persisted,
          ...(p.cached === true ? { cached: true } : {}),
        },
        at,
      );
    }
    case "exec:end": {
      const p = event.payload;
      return stage.append(
        {
          type: "exec:end",
          correlation_id: p.correlationId,
          attempt: p.attempt,
          exit_code: p.exitCode,
          signal: p.signal,
          duration_ms: p.durationMs,
          status: p.status,
          ...(p.cached === true ? { cached: true } : {}),
        },
        at,
      );
    }
    case "exec:retry": {
      const p = event.payload;
      return stage.append(
        {
          type: "exec:retry",
          correlation_id: p.correlationId,
          attempt: p.attempt,
          delay_ms: p.delayMs,
          sandbox_state: p.sandboxState,
          error: p.errorMessage,
        },
        at,
      );
    }
    default:
      return undefined;
  }
}
