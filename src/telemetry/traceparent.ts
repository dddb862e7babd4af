import { type SpanContext, isSpanContextValid } from "@opentelemetry/api";
import { parseTraceParent } from "@opentelemetry/core";

/**
 * W3C `traceparent` of a span: `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`. This is what a child process
 * receives as `TRACEPARENT`, so a traced tool it runs joins the same trace (SPEC §20).
 */
export function formatTraceparent(context: SpanContext): string {
  const flags = (context.traceFlags & 0xff).toString(16).padStart(2, "0");
  return `00-${context.traceId}-${context.spanId}-${flags}`;
}

/** The remote parent named by a `TRACEPARENT` value, or null when it is missing or not a valid W3C traceparent. */
export function parseTraceparentEnv(value: string | null | undefined): SpanContext | null {
  if (value === null || value === undefined) return null;
  const parsed = parseTraceParent(value.trim());
  if (parsed === null || !isSpanContextValid(parsed)) return null;
  return { ...parsed, isRemote: true };
}
