import type { ApprovalSource, SandboxMode } from "./schemas/common.ts";
import type { OrchestratorEvent } from "./schemas/events.ts";

/**
 * What an `exec:begin` payload carries beside its fields, under a symbol key (JSON and valibot never see it): the
 * attempt's facts that its span records but the JSONL does not (the sandbox mode asked for, where the approval came
 * from), and the slot where the span subscriber leaves the attempt's `TRACEPARENT`. The producer emits the event,
 * then reads `traceparent` before it spawns, so the child joins the trace under its own `exec` span.
 */
export type ExecBeginContext = {
  readonly sandboxMode: SandboxMode | null;
  readonly approvalSource: ApprovalSource;
  /** Set by a span subscriber; null: telemetry is off, the child keeps the inherited value. */
  traceparent: string | null;
};

export const EXEC_BEGIN_CONTEXT: unique symbol = Symbol("codex-orchestrator.exec-begin-context");

/** The context attached to an `exec:begin` event's payload, if any. */
export function execBeginContextOf(event: OrchestratorEvent): ExecBeginContext | undefined {
  if (event.type !== "exec:begin") return undefined;
  return (event.payload as { [EXEC_BEGIN_CONTEXT]?: ExecBeginContext })[EXEC_BEGIN_CONTEXT];
}
