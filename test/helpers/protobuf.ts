/**
 * A small protobuf wire-format decoder and the OTLP trace messages the tests need (opentelemetry-proto
 * `collector/trace/v1/trace_service.proto`, `trace/v1/trace.proto`, `common/v1/common.proto`). Written from the wire
 * format so tests assert what a collector would really read, not what the exporter meant to send.
 */

export type WireField =
  | { field: number; wire: 0; value: bigint }
  | { field: number; wire: 1; value: Uint8Array }
  | { field: number; wire: 2; value: Uint8Array }
  | { field: number; wire: 5; value: Uint8Array };

/** Splits one message into its fields, in order. Throws on malformed input (a test should fail loudly). */
export function decodeFields(bytes: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= bytes.length) throw new Error("protobuf: truncated varint");
      const byte = bytes[pos++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error("protobuf: varint too long");
    }
  };
  const take = (n: number): Uint8Array => {
    if (pos + n > bytes.length) throw new Error("protobuf: truncated field");
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  while (pos < bytes.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) throw new Error("protobuf: field number 0");
    if (wire === 0) fields.push({ field, wire, value: varint() });
    else if (wire === 1) fields.push({ field, wire, value: take(8) });
    else if (wire === 2) fields.push({ field, wire, value: take(Number(varint())) });
    else if (wire === 5) fields.push({ field, wire, value: take(4) });
    else throw new Error(`protobuf: unsupported wire type ${wire}`);
  }
  return fields;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const u64 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
const f64 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true);
const u32 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
/** int64 on the wire is two's complement in a varint. */
const int64 = (v: bigint) => BigInt.asIntN(64, v);

export type AnyValue = string | boolean | number | bigint | AnyValue[] | { [key: string]: AnyValue } | Uint8Array | null;
export type OtlpEvent = { name: string; timeUnixNano: bigint; attributes: Record<string, AnyValue> };
export type OtlpStatus = { code: number; message: string };
export type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, AnyValue>;
  events: OtlpEvent[];
  status: OtlpStatus;
  flags: number;
};
export type OtlpScopeSpans = { scope: { name: string; version: string }; spans: OtlpSpan[] };
export type OtlpResourceSpans = { resource: Record<string, AnyValue>; scopeSpans: OtlpScopeSpans[] };
export type ExportTraceServiceRequest = { resourceSpans: OtlpResourceSpans[] };

/** `AnyValue`: int64 values become numbers when they are safe integers (what the tests compare against). */
export function decodeAnyValue(bytes: Uint8Array): AnyValue {
  let value: AnyValue = null;
  for (const f of decodeFields(bytes)) {
    if (f.field === 1 && f.wire === 2) value = utf8.decode(f.value);
    else if (f.field === 2 && f.wire === 0) value = f.value !== 0n;
    else if (f.field === 3 && f.wire === 0) {
      const n = int64(f.value);
      value = n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
    } else if (f.field === 4 && f.wire === 1) value = f64(f.value);
    else if (f.field === 5 && f.wire === 2) {
      value = decodeFields(f.value)
        .filter((g) => g.field === 1 && g.wire === 2)
        .map((g) => decodeAnyValue(g.value as Uint8Array));
    } else if (f.field === 6 && f.wire === 2) {
      value = decodeKeyValues(decodeFields(f.value).filter((g) => g.field === 1 && g.wire === 2));
    } else if (f.field === 7 && f.wire === 2) value = f.value;
  }
  return value;
}

function decodeKeyValues(fields: WireField[]): Record<string, AnyValue> {
  const out: Record<string, AnyValue> = {};
  for (const f of fields) {
    let key = "";
    let value: AnyValue = null;
    for (const g of decodeFields(f.value as Uint8Array)) {
      if (g.field === 1 && g.wire === 2) key = utf8.decode(g.value);
      else if (g.field === 2 && g.wire === 2) value = decodeAnyValue(g.value);
    }
    out[key] = value;
  }
  return out;
}

const lengthDelimited = (fields: WireField[], field: number) =>
  fields.filter((f) => f.field === field && f.wire === 2).map((f) => f.value as Uint8Array);

function decodeSpan(bytes: Uint8Array): OtlpSpan {
  const fields = decodeFields(bytes);
  const span: OtlpSpan = {
    traceId: "",
    spanId: "",
    parentSpanId: "",
    traceState: "",
    name: "",
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: decodeKeyValues(fields.filter((f) => f.field === 9 && f.wire === 2)),
    events: [],
    status: { code: 0, message: "" },
    flags: 0,
  };
  for (const f of fields) {
    if (f.field === 1 && f.wire === 2) span.traceId = hex(f.value);
    else if (f.field === 2 && f.wire === 2) span.spanId = hex(f.value);
    else if (f.field === 3 && f.wire === 2) span.traceState = utf8.decode(f.value);
    else if (f.field === 4 && f.wire === 2) span.parentSpanId = hex(f.value);
    else if (f.field === 5 && f.wire === 2) span.name = utf8.decode(f.value);
    else if (f.field === 6 && f.wire === 0) span.kind = Number(f.value);
    else if (f.field === 7 && f.wire === 1) span.startTimeUnixNano = u64(f.value);
    else if (f.field === 8 && f.wire === 1) span.endTimeUnixNano = u64(f.value);
    else if (f.field === 11 && f.wire === 2) span.events.push(decodeEvent(f.value));
    else if (f.field === 15 && f.wire === 2) span.status = decodeStatus(f.value);
    else if (f.field === 16 && f.wire === 5) span.flags = u32(f.value);
  }
  return span;
}

function decodeEvent(bytes: Uint8Array): OtlpEvent {
  const fields = decodeFields(bytes);
  const event: OtlpEvent = {
    name: "",
    timeUnixNano: 0n,
    attributes: decodeKeyValues(fields.filter((f) => f.field === 3 && f.wire === 2)),
  };
  for (const f of fields) {
    if (f.field === 1 && f.wire === 1) event.timeUnixNano = u64(f.value);
    else if (f.field === 2 && f.wire === 2) event.name = utf8.decode(f.value);
  }
  return event;
}

function decodeStatus(bytes: Uint8Array): OtlpStatus {
  const status: OtlpStatus = { code: 0, message: "" };
  for (const f of decodeFields(bytes)) {
    if (f.field === 2 && f.wire === 2) status.message = utf8.decode(f.value);
    else if (f.field === 3 && f.wire === 0) status.code = Number(f.value);
  }
  return status;
}

function decodeScopeSpans(bytes: Uint8Array): OtlpScopeSpans {
  const fields = decodeFields(bytes);
  const scope = { name: "", version: "" };
  for (const s of lengthDelimited(fields, 1)) {
    for (const f of decodeFields(s)) {
      if (f.field === 1 && f.wire === 2) scope.name = utf8.decode(f.value);
      else if (f.field === 2 && f.wire === 2) scope.version = utf8.decode(f.value);
    }
  }
  return { scope, spans: lengthDelimited(fields, 2).map(decodeSpan) };
}

function decodeResourceSpans(bytes: Uint8Array): OtlpResourceSpans {
  const fields = decodeFields(bytes);
  let resource: Record<string, AnyValue> = {};
  for (const r of lengthDelimited(fields, 1)) {
    resource = decodeKeyValues(decodeFields(r).filter((f) => f.field === 1 && f.wire === 2));
  }
  return { resource, scopeSpans: lengthDelimited(fields, 2).map(decodeScopeSpans) };
}

export function decodeExportTraceServiceRequest(bytes: Uint8Array): ExportTraceServiceRequest {
  return { resourceSpans: lengthDelimited(decodeFields(bytes), 1).map(decodeResourceSpans) };
}

/** Every span of a request, with the resource attributes it was sent under. */
export function spansOf(request: ExportTraceServiceRequest): (OtlpSpan & { resource: Record<string, AnyValue> })[] {
  return request.resourceSpans.flatMap((rs) =>
    rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => ({ ...span, resource: rs.resource }))),
  );
}

/** Span status codes of trace.proto. */
export const STATUS_CODE = { UNSET: 0, OK: 1, ERROR: 2 } as const;
