import { type Attributes, ROOT_CONTEXT, type Span, type SpanContext, type Tracer as ApiTracer, trace } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AlwaysOnSampler, type ReadableSpan, type SpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { VERSION } from "../core/version.ts";
import { ExportGuard, type ExportStats } from "./export-guard.ts";
import { NOOP_TRACER } from "./noop.ts";
import { type SendBatch, createOtlpSender } from "./otlp-sender.ts";
import { ATTR } from "./span-attributes.ts";
import { LiveRunSpan, type SpanHost, runAttributes } from "./spans.ts";
import type { RunSpan, RunSpanStart, Tracer } from "./span-types.ts";
import { parseTraceparentEnv } from "./traceparent.ts";

export const SERVICE_NAME = "codex-orchestrator";
/** The export at exit may add at most this much to the run (SPEC §20). */
export const SHUTDOWN_BUDGET_MS = 2000;

export type TracerOptions = {
  /** Full OTLP traces URL (see `resolveTelemetrySettings`); null turns telemetry off. */
  endpoint: string | null;
  headers?: Record<string, string>;
  /** The CLI's own `TRACEPARENT`; when valid it parents the root `run` span. */
  traceparent?: string | null | undefined;
  /** One line on stderr, without prefix (SPEC §4.3). */
  warn?: (line: string) => void;
  /** Tuning for tests; the defaults are the documented policy. */
  requestTimeoutMs?: number;
  intervalMs?: number;
  windowMs?: number;
  shutdownBudgetMs?: number;
  /** Replace the OTLP sender (tests of the policy only). */
  send?: SendBatch;
  /** The export policy's clock (tests of the policy only): back-offs and the budget without waiting them out. */
  clock?: { now: () => number; sleep: (ms: number) => Promise<void> };
};


/**
 * Builds the run's tracer (SPEC §20): spans `run` → `stage <id>` → `exec`, resource `service.name =
 * codex-orchestrator` and `service.version`, exported as OTLP/HTTP protobuf through the ExportGuard policy. With no
 * endpoint it returns the no-op tracer. Construction never throws: a broken SDK setup degrades to the no-op tracer.
 */
export function createTracer(options: TracerOptions): Tracer {
  if (options.endpoint === null || options.endpoint === "") return NOOP_TRACER;
  try {
    return new LiveTracer(options, options.endpoint);
  } catch (error) {
    options.warn?.(`Telemetry disabled: ${error instanceof Error ? error.message : String(error)}`);
    return NOOP_TRACER;
  }
}

class LiveTracer implements Tracer, SpanHost {
  readonly enabled = true;
  private readonly provider: TracerProvider;
  private readonly tracer: ApiTracer;
  private readonly guard: ExportGuard;
  private readonly remoteParent: SpanContext | null;
  private readonly open = new Set<Span>();
  private shutdownPromise: Promise<void> | null = null;
  private readonly budgetMs: number;

  constructor(options: TracerOptions, endpoint: string) {
    const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
    this.guard = new ExportGuard({
      send: options.send ?? createOtlpSender(endpoint, options.headers ?? {}),
      warn,
      requestTimeoutMs: options.requestTimeoutMs,
      intervalMs: options.intervalMs,
      windowMs: options.windowMs,
      now: options.clock?.now,
      sleep: options.clock?.sleep,
    });
    this.budgetMs = options.shutdownBudgetMs ?? SHUTDOWN_BUDGET_MS;
    const guard = this.guard;
    // The SDK's batch processor has its own timers and queue policy; this one hands every ended span to the guard.
    const processor: SpanProcessor = {
      onStart: () => undefined,
      onEnd: (span: ReadableSpan) => guard.add(span),
      forceFlush: async () => undefined,
      shutdown: async () => undefined,
    };
    this.provider = new TracerProvider({
      resource: resourceFromAttributes({ "service.name": SERVICE_NAME, "service.version": VERSION }),
      // An endpoint was asked for explicitly: record every run, even under an unsampled TRACEPARENT.
      sampler: new AlwaysOnSampler(),
      spanProcessors: [processor],
    });
    this.tracer = this.provider.getTracer(SERVICE_NAME, VERSION);
    this.remoteParent = parseTraceparentEnv(options.traceparent);
  }

  startRun(start: RunSpanStart): RunSpan {
    return new LiveRunSpan(this, this.startFromContext("run", this.remoteParent, runAttributes(start)));
  }

  start(name: string, parent: Span | null, attributes: Attributes): Span | null {
    return this.startFromContext(name, parent === null ? null : parent.spanContext(), attributes);
  }

  finish(span: Span): void {
    if (!this.open.delete(span)) return;
    span.end();
  }

  private startFromContext(name: string, parent: SpanContext | null, attributes: Attributes): Span | null {
    if (this.shutdownPromise !== null) return null;
    try {
      const context = parent === null ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, parent);
      const span = this.tracer.startSpan(name, { attributes }, context);
      this.open.add(span);
      return span;
    } catch {
      return null;
    }
  }

  shutdown(): Promise<void> {
    if (this.shutdownPromise === null) this.shutdownPromise = this.shutdownOnce();
    return this.shutdownPromise;
  }

  private async shutdownOnce(): Promise<void> {
    try {
      // Children first, so a span never ends before a span it contains.
      for (const span of [...this.open].reverse()) {
        span.setAttribute(ATTR.incomplete, true);
        this.finish(span);
      }
      await this.guard.drain(this.budgetMs);
      void this.provider.shutdown().catch(() => undefined);
    } catch {
      // Exporting never changes the run's result.
    }
  }

  stats(): ExportStats {
    return this.guard.stats();
  }
}
