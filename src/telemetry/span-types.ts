/**
 * The tracing API the rest of the program codes against: the live spans (spans.ts, tracing.ts) and the no-op ones
 * (noop.ts) both implement it. Kept apart from both so neither imports the other's module.
 */
import type { ExportStats } from "./export-guard.ts";

/** Start attributes of a `run` span (a top-level run or a child run of a sub-pipeline stage). */
export type RunSpanStart = {
  runId: string;
  taskId: string;
  pipelineId: string;
  /** The CLI command that made the run: `exec`, `start`, `resume` (a child run: its parent's command). */
  command?: string;
  parentRunId?: string | null;
};

export type LatencyFigures = { p50: number | null; p95: number | null; max: number | null };

export type RunSpanEnd = {
  status: string;
  /** The manifest `metrics` (SPEC §17.3); the same figures become attributes of the run span. */
  metrics?: { approvalReuse: number | null; commandLatencyMs: LatencyFigures } | null;
};

export type StageSpanStart = { index?: number; title?: string; kind?: string };
export type StageSpanEnd = { status: string; exitCode?: number | null };

/** One attempt of a command (SPEC §16.2). */
export type ExecSpanStart = {
  argv: readonly string[];
  attempt: number;
  correlationId?: string;
  sandboxState?: string;
  sandboxMode?: string | null;
  approvalSource?: string;
  sessionId?: string | null;
};

export type ExecSpanEnd = {
  exitCode: number | null;
  signal?: string | null;
  status?: string;
  sandboxState?: string;
  /** Defaults to `attempt − 1`. */
  retryCount?: number;
  sessionId?: string | null;
  timedOut?: boolean;
  spawnError?: string | null;
};

export type RetryEvent = { attempt: number; delayMs: number; error: string };

export interface RunSpan {
  /** `TRACEPARENT` for a process that should join the trace under this span; null with telemetry off. */
  readonly traceparent: string | null;
  startStage(stageId: string, start?: StageSpanStart): StageSpan;
  end(result: RunSpanEnd): void;
}

export interface StageSpan {
  readonly traceparent: string | null;
  startExec(start: ExecSpanStart): ExecSpan;
  /** A sub-pipeline stage: the child run's `run` span is a child of this stage span. */
  startChildRun(start: RunSpanStart): RunSpan;
  /** A retry of this stage's command: a `retry` span event (SPEC §20). */
  addRetry(retry: RetryEvent): void;
  end(result: StageSpanEnd): void;
}

export interface ExecSpan {
  /** Set this as the child's `TRACEPARENT`; null (telemetry off) means: leave the inherited value alone. */
  readonly traceparent: string | null;
  end(result: ExecSpanEnd): void;
}


export interface Tracer {
  readonly enabled: boolean;
  /** The root span of a top-level run. Call once per run; child runs start from a stage span. */
  startRun(start: RunSpanStart): RunSpan;
  /** Ends spans left open, exports what is left within 2 s, then stops; never rejects. Idempotent. */
  shutdown(): Promise<void>;
  stats(): ExportStats;
}
