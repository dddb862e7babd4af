import { type Attributes, type Span, SpanStatusCode } from "@opentelemetry/api";
import { redact } from "../core/redact.ts";
import { ATTR, SPAN_NAMES } from "./span-attributes.ts";
import { formatTraceparent } from "./traceparent.ts";

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

/** What the span classes need from the tracer; `start` never throws and returns null when tracing broke. */
export interface SpanHost {
  start(name: string, parent: Span | null, attributes: Attributes): Span | null;
  finish(span: Span): void;
}

/** Telemetry must never throw into the run (SPEC §20): every span operation goes through here. */
function safely(action: () => void): void {
  try {
    action();
  } catch {
    // Dropping one attribute or span is the documented degradation.
  }
}

function definedAttributes(entries: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(entries)) {
    if (value === undefined || value === null) continue;
    if (typeof value === "number" && !Number.isFinite(value)) continue;
    // Every string that leaves in a span passes the secret redactor (issue 10): stage titles and spawn errors can
    // quote a command line holding a secret value, not only argv.
    if (typeof value === "string") out[key] = redact(value);
    else if (Array.isArray(value)) out[key] = value.map((v) => (typeof v === "string" ? redact(v) : v)) as Attributes[string];
    else out[key] = value as Attributes[string];
  }
  return out;
}

function traceparentOf(span: Span | null): string | null {
  if (span === null) return null;
  try {
    return formatTraceparent(span.spanContext());
  } catch {
    return null;
  }
}

export function runAttributes(start: RunSpanStart): Attributes {
  return definedAttributes({
    [ATTR.runId]: start.runId,
    [ATTR.taskId]: start.taskId,
    [ATTR.pipelineId]: start.pipelineId,
    [ATTR.command]: start.command,
    [ATTR.parentRunId]: start.parentRunId,
  });
}

export class LiveRunSpan implements RunSpan {
  readonly traceparent: string | null;
  constructor(
    private readonly host: SpanHost,
    private readonly span: Span | null,
  ) {
    this.traceparent = traceparentOf(span);
  }

  startStage(stageId: string, start: StageSpanStart = {}): StageSpan {
    const attributes = definedAttributes({
      [ATTR.stageId]: stageId,
      [ATTR.stageIndex]: start.index,
      [ATTR.stageTitle]: start.title,
      [ATTR.stageKind]: start.kind,
    });
    return new LiveStageSpan(this.host, this.host.start(SPAN_NAMES.stage(stageId), this.span, attributes));
  }

  end(result: RunSpanEnd): void {
    const span = this.span;
    if (span === null) return;
    safely(() => {
      const metrics = result.metrics ?? null;
      span.setAttributes(
        definedAttributes({
          [ATTR.status]: result.status,
          [ATTR.approvalReuse]: metrics?.approvalReuse,
          [ATTR.latencyP50]: metrics?.commandLatencyMs.p50,
          [ATTR.latencyP95]: metrics?.commandLatencyMs.p95,
          [ATTR.latencyMax]: metrics?.commandLatencyMs.max,
        }),
      );
      if (result.status === "succeeded") span.setStatus({ code: SpanStatusCode.OK });
      else span.setStatus({ code: SpanStatusCode.ERROR, message: `run ${result.status}` });
      this.host.finish(span);
    });
  }
}

export class LiveStageSpan implements StageSpan {
  readonly traceparent: string | null;
  constructor(
    private readonly host: SpanHost,
    private readonly span: Span | null,
  ) {
    this.traceparent = traceparentOf(span);
  }

  startExec(start: ExecSpanStart): ExecSpan {
    const attributes = definedAttributes({
      [ATTR.commandArgs]: [...start.argv],
      [ATTR.attempt]: start.attempt,
      [ATTR.correlationId]: start.correlationId,
      [ATTR.sandboxState]: start.sandboxState,
      [ATTR.sandboxMode]: start.sandboxMode,
      [ATTR.approvalSource]: start.approvalSource,
      [ATTR.retryCount]: Math.max(0, start.attempt - 1),
      [ATTR.sessionId]: start.sessionId,
    });
    return new LiveExecSpan(this.host, this.host.start(SPAN_NAMES.exec, this.span, attributes));
  }

  startChildRun(start: RunSpanStart): RunSpan {
    return new LiveRunSpan(this.host, this.host.start(SPAN_NAMES.run, this.span, runAttributes(start)));
  }

  addRetry(retry: RetryEvent): void {
    const span = this.span;
    if (span === null) return;
    safely(() => {
      span.addEvent(SPAN_NAMES.retryEvent, {
        [ATTR.retryAttempt]: retry.attempt,
        [ATTR.retryDelayMs]: retry.delayMs,
        [ATTR.retryError]: redact(retry.error),
      });
    });
  }

  end(result: StageSpanEnd): void {
    const span = this.span;
    if (span === null) return;
    safely(() => {
      span.setAttributes(definedAttributes({ [ATTR.stageStatus]: result.status, [ATTR.stageExitCode]: result.exitCode }));
      if (result.status === "failed") span.setStatus({ code: SpanStatusCode.ERROR, message: "stage failed" });
      this.host.finish(span);
    });
  }
}

export class LiveExecSpan implements ExecSpan {
  readonly traceparent: string | null;
  constructor(
    private readonly host: SpanHost,
    private readonly span: Span | null,
  ) {
    this.traceparent = traceparentOf(span);
  }

  end(result: ExecSpanEnd): void {
    const span = this.span;
    if (span === null) return;
    safely(() => {
      span.setAttributes(
        definedAttributes({
          [ATTR.exitCode]: typeof result.exitCode === "number" ? result.exitCode : undefined,
          [ATTR.signal]: result.signal,
          [ATTR.execStatus]: result.status,
          [ATTR.sandboxState]: result.sandboxState,
          [ATTR.retryCount]: result.retryCount,
          [ATTR.sessionId]: result.sessionId,
          [ATTR.timedOut]: result.timedOut,
          [ATTR.spawnError]: result.spawnError,
        }),
      );
      const failed =
        (result.status !== undefined && result.status !== "succeeded") ||
        (typeof result.exitCode === "number" && result.exitCode !== 0) ||
        (result.signal ?? null) !== null ||
        (result.spawnError ?? null) !== null;
      if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: redact(execFailure(result)) });
      this.host.finish(span);
    });
  }
}

function execFailure(result: ExecSpanEnd): string {
  if (result.spawnError) return result.spawnError;
  if (result.signal) return `killed by ${result.signal}`;
  if (typeof result.exitCode === "number") return `exit code ${result.exitCode}`;
  return "failed";
}

export { NOOP_EXEC_SPAN, NOOP_RUN_SPAN, NOOP_STAGE_SPAN } from "./noop.ts";

