import { type Attributes, type Span, SpanStatusCode } from "@opentelemetry/api";
import { redact } from "../core/redact.ts";
import { ATTR, SPAN_NAMES } from "./span-attributes.ts";
import type { ExecSpan, ExecSpanEnd, ExecSpanStart, RetryEvent, RunSpan, RunSpanEnd, RunSpanStart, StageSpan, StageSpanEnd, StageSpanStart } from "./span-types.ts";
import { formatTraceparent } from "./traceparent.ts";

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


