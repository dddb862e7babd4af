import { execBeginContextOf } from "../core/exec-begin-context.ts";
import type { EventSubscriber } from "../core/event-stream.ts";
import type { OrchestratorEvent } from "../core/schemas/events.ts";
import type { ExecSpan, StageSpan } from "./span-types.ts";

const key = (a: string, b: string | number) => `${a}\u0000${b}`;

/**
 * The span subscriber (SPEC §16.2, §20): each attempt's `exec` span, started on its `exec:begin` under the span of the
 * stage that runs it and ended on its `exec:end`; a `retry` span event on the stage span per `exec:retry`. The
 * attempt's TRACEPARENT goes back to the producer in the event's context slot (core/exec-begin-context.ts), so the
 * child joins the trace under its own span. The run and stage spans belong to the run's lifecycle, which lends a
 * stage span here while the stage runs (`stage`). Subscribed only when telemetry is on.
 */
export class ExecSpans {
  private readonly stages = new Map<string, StageSpan>();
  private readonly open = new Map<string, ExecSpan>();

  /** Makes `span` the parent of the attempts of stage `stageId` of run `runId`; returns the function that ends the loan. */
  stage(runId: string, stageId: string, span: StageSpan): () => void {
    const k = key(runId, stageId);
    this.stages.set(k, span);
    return () => {
      if (this.stages.get(k) === span) this.stages.delete(k);
    };
  }

  readonly onEvent: EventSubscriber = (event: OrchestratorEvent): undefined => {
    switch (event.type) {
      case "exec:begin": {
        const p = event.payload;
        const stage = this.stages.get(key(p.runId, p.stageId ?? ""));
        if (stage === undefined) return undefined;
        const context = execBeginContextOf(event);
        const span = stage.startExec({
          argv: p.argv,
          attempt: p.attempt,
          correlationId: p.correlationId,
          sandboxState: p.sandboxState,
          sandboxMode: context?.sandboxMode ?? null,
          ...(context !== undefined ? { approvalSource: context.approvalSource } : {}),
          sessionId: p.sessionId,
        });
        if (context !== undefined) context.traceparent = span.traceparent;
        this.open.set(key(p.correlationId, p.attempt), span);
        return undefined;
      }
      case "exec:end": {
        const p = event.payload;
        const k = key(p.correlationId, p.attempt);
        const span = this.open.get(k);
        if (span === undefined) return undefined;
        this.open.delete(k);
        span.end({
          exitCode: p.exitCode,
          signal: p.signal,
          status: p.status,
          sandboxState: p.sandboxState,
          retryCount: p.attempt - 1,
          sessionId: p.sessionId,
          timedOut: p.timedOut,
          spawnError: p.spawnError,
        });
        return undefined;
      }
      case "exec:retry": {
        const p = event.payload;
        this.stages.get(key(p.runId, p.stageId ?? ""))?.addRetry({ attempt: p.attempt, delayMs: p.delayMs, error: p.errorMessage });
        return undefined;
      }
      default:
        return undefined;
    }
  };
}
