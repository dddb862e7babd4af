/**
 * Telemetry off: the same API as the live tracer, nothing recorded, no TRACEPARENT handed out (children keep the
 * inherited one). Kept free of OpenTelemetry imports so a run without an endpoint never loads the SDK.
 */
import type { ExportStats } from "./export-guard.ts";
import type { ExecSpan, RunSpan, StageSpan, Tracer } from "./span-types.ts";

export const NOOP_EXEC_SPAN: ExecSpan = { traceparent: null, end: () => undefined };
export const NOOP_STAGE_SPAN: StageSpan = {
  traceparent: null,
  startExec: () => NOOP_EXEC_SPAN,
  startChildRun: () => NOOP_RUN_SPAN,
  addRetry: () => undefined,
  end: () => undefined,
};
export const NOOP_RUN_SPAN: RunSpan = {
  traceparent: null,
  startStage: () => NOOP_STAGE_SPAN,
  end: () => undefined,
};

const OFF_STATS: ExportStats = { requests: 0, failures: 0, exportedSpans: 0, droppedSpans: 0, disabled: false, attempts: [] };

export const NOOP_TRACER: Tracer = {
  enabled: false,
  startRun: () => NOOP_RUN_SPAN,
  shutdown: async () => undefined,
  stats: () => ({ ...OFF_STATS }),
};
