import { ExportResultCode } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";

/** Sends one batch as exactly one OTLP/HTTP request; resolves on success, rejects with a readable error otherwise. */
export type SendBatch = (spans: ReadableSpan[], timeoutMs: number) => Promise<void>;

/** Raised by the request gate when the exporter tries a second request inside one export attempt. */
class InternalRetryRefused extends Error {}

/**
 * An OTLP/HTTP protobuf sender built on `@opentelemetry/exporter-trace-otlp-proto`.
 *
 * The exporter retries internally (network errors, timeouts, 429/502/503/504) on its own schedule, which would break
 * the budget of §20 (at most 3 requests a minute, counted by the collector). Two things keep one attempt = one
 * request: the per-request timeout stays below the exporter's smallest retry back-off (800 ms), so its own back-off
 * never fits; and the headers factory, which the exporter calls once per HTTP request, refuses a second call (this only
 * triggers when a collector answers with `Retry-After: 0`). A fresh exporter per attempt carries that attempt's timeout.
 */
export function createOtlpSender(url: string, headers: Record<string, string>): SendBatch {
  return (spans, timeoutMs) =>
    new Promise<void>((resolve, reject) => {
      let requests = 0;
      const exporter = new OTLPTraceExporter({
        url,
        timeoutMillis: Math.max(1, Math.floor(timeoutMs)),
        // One connection per attempt: no idle keep-alive socket outlives the run.
        httpAgentOptions: { keepAlive: false },
        headers: async () => {
          requests += 1;
          if (requests > 1) throw new InternalRetryRefused("collector asked for an immediate retry");
          return headers;
        },
      });
      exporter.export(spans, (result) => {
        void exporter.shutdown().catch(() => undefined);
        if (result.code === ExportResultCode.SUCCESS) resolve();
        else reject(new Error(describeExportError(result.error, timeoutMs)));
      });
    });
}

/** One short text per failure kind, used in the "Telemetry disabled" line. */
export function describeExportError(error: unknown, timeoutMs: number): string {
  if (error === undefined || error === null) return "export failed";
  const code = (error as { code?: unknown }).code;
  if (typeof code === "number") return `collector responded with status ${code}`;
  const message = error instanceof Error ? error.message : String(error);
  if (message === "Request timed out") return `export request timed out after ${Math.round(timeoutMs)} ms`;
  return message === "" ? "export failed" : message;
}
