import { afterEach, describe, expect, test } from "bun:test";
import { createRequire } from "node:module";
import { createTracer } from "../../src/telemetry/tracing.ts";
import { type OtlpReceiver, startOtlpReceiver } from "../helpers/otlp-receiver.ts";
import { decodeExportTraceServiceRequest, decodeFields, spansOf } from "../helpers/protobuf.ts";

/**
 * The reference decoder: the protobufjs module that OpenTelemetry JS generated from the official OTLP .proto files and
 * shipped in @opentelemetry/otlp-transformer until 0.52 (a devDependency under the alias `otlp-reference-protos`). It
 * replaces `protoc --decode_raw` (issue 14): nothing outside npm is needed to check the test decoder.
 */
const reference = createRequire(import.meta.url)("otlp-reference-protos/build/src/generated/root.js") as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: ReferenceMessage } } } } };
};
type ReferenceMessage = {
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: Record<string, unknown>): ReferenceRequest;
};
type ReferenceValue = { stringValue?: string; boolValue?: boolean; intValue?: string; doubleValue?: number; arrayValue?: { values?: ReferenceValue[] } };
type ReferenceKeyValue = { key: string; value?: ReferenceValue };
type ReferenceSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: ReferenceKeyValue[];
  events?: { name: string; timeUnixNano: string; attributes?: ReferenceKeyValue[] }[];
  status?: { code?: number; message?: string };
};
type ReferenceRequest = {
  resourceSpans: { resource?: { attributes?: ReferenceKeyValue[] }; scopeSpans: { scope?: { name: string; version?: string }; spans: ReferenceSpan[] }[] }[];
};

function decodeReference(body: Uint8Array): ReferenceRequest {
  const type = reference.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
  return type.toObject(type.decode(body), { longs: String, bytes: String, defaults: false, arrays: true });
}

/** An attribute value as the test decoder gives it. */
function referenceValue(v: ReferenceValue | undefined): unknown {
  if (v === undefined) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) {
    // Like the test decoder: int64 values that are safe integers compare as numbers.
    const n = BigInt(v.intValue);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  }
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(referenceValue);
  return null;
}

function attributesOf(list: ReferenceKeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, referenceValue(kv.value)]));
}

const hexOf = (base64: string | undefined) => (base64 === undefined || base64 === "" ? "" : Buffer.from(base64, "base64").toString("hex"));

let receiver: OtlpReceiver | null = null;
afterEach(async () => {
  await receiver?.close();
  receiver = null;
});

describe("the test decoder agrees with the reference OTLP decoder", () => {
  test("the generated OTLP decoder sees the same spans, ids, times, kinds, attributes, events, status and resource", async () => {
    receiver = await startOtlpReceiver();
    const tracer = createTracer({ endpoint: receiver.tracesUrl, warn: () => undefined });
    const run = tracer.startRun({ runId: "r1", taskId: "t1", pipelineId: "p" });
    const stage = run.startStage("build");
    stage.addRetry({ attempt: 1, delayMs: 250, error: "boom" });
    stage.startExec({ argv: ["a", "b"], attempt: 1, sandboxState: "sandboxed" }).end({ exitCode: 3 });
    stage.end({ status: "failed" });
    run.end({ status: "failed" });
    await tracer.shutdown();

    const body = receiver.requests[0]!.body;
    const ref = decodeReference(body);
    const ours = spansOf(decodeExportTraceServiceRequest(body));
    const refSpans = ref.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
    expect(ours.length).toBe(3);
    expect(refSpans.length).toBe(ours.length);
    refSpans.forEach((refSpan, i) => {
      const span = ours[i]!;
      expect(refSpan.name).toBe(span.name);
      expect(hexOf(refSpan.traceId)).toBe(span.traceId);
      expect(hexOf(refSpan.spanId)).toBe(span.spanId);
      expect(hexOf(refSpan.parentSpanId)).toBe(span.parentSpanId);
      expect(BigInt(refSpan.startTimeUnixNano)).toBe(span.startTimeUnixNano);
      expect(BigInt(refSpan.endTimeUnixNano)).toBe(span.endTimeUnixNano);
      expect(refSpan.kind ?? 0).toBe(span.kind);
      expect(attributesOf(refSpan.attributes)).toEqual(span.attributes);
      expect((refSpan.events ?? []).map((e) => ({ name: e.name, timeUnixNano: BigInt(e.timeUnixNano), attributes: attributesOf(e.attributes) }))).toEqual(
        span.events,
      );
      expect(refSpan.status?.code ?? 0).toBe(span.status.code);
    });
    // Something of every kind was compared: ids, an exit code attribute, the retry event, an error status.
    expect(ours.some((s) => s.events.length > 0)).toBe(true);
    expect(ours.some((s) => s.status.code === 2)).toBe(true);
    const resource = attributesOf(ref.resourceSpans[0]?.resource?.attributes);
    expect(resource["service.name"]).toBe("codex-orchestrator");
    expect(resource).toEqual(ours[0]!.resource);
  });

  test("decodeFields reads varints, fixed64, length-delimited and fixed32 fields", () => {
    // field 1 varint 300, field 2 fixed64 1, field 3 bytes "hi", field 4 fixed32 7
    const bytes = Uint8Array.from([0x08, 0xac, 0x02, 0x11, 1, 0, 0, 0, 0, 0, 0, 0, 0x1a, 2, 0x68, 0x69, 0x25, 7, 0, 0, 0]);
    const fields = decodeFields(bytes);
    expect(fields.map((f) => [f.field, f.wire])).toEqual([[1, 0], [2, 1], [3, 2], [4, 5]]);
    expect(fields[0]!.value).toBe(300n);
    expect(Buffer.from(fields[2]!.value as Uint8Array).toString()).toBe("hi");
    expect(() => decodeFields(Uint8Array.from([0x0a, 5, 1]))).toThrow("truncated");
  });
});
