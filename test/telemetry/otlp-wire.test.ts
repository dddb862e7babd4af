import { afterEach, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { createTracer } from "../../src/telemetry/index.ts";
import { type OtlpReceiver, startOtlpReceiver } from "../helpers/otlp-receiver.ts";
import { decodeExportTraceServiceRequest, decodeFields, spansOf } from "../helpers/protobuf.ts";

/** One node of `protoc --decode_raw` text: `N: value` or `N { … }`. */
type RawNode = { field: number; text?: string; children?: RawNode[] };

/** Parses protoc's decode_raw text format into a tree. */
function parseDecodeRaw(text: string): RawNode[] {
  const root: RawNode[] = [];
  const stack: RawNode[][] = [root];
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "") continue;
    const top = stack[stack.length - 1] as RawNode[];
    if (trimmed === "}") {
      stack.pop();
      continue;
    }
    const open = /^(\d+) \{$/.exec(trimmed);
    if (open) {
      const node: RawNode = { field: Number(open[1]), children: [] };
      top.push(node);
      stack.push(node.children as RawNode[]);
      continue;
    }
    const scalar = /^(\d+): (.*)$/.exec(trimmed);
    if (!scalar) throw new Error(`unexpected decode_raw line: ${trimmed}`);
    top.push({ field: Number(scalar[1]), text: scalar[2] });
  }
  return root;
}

/** protoc prints bytes as a C-escaped string; this turns it back into hex. */
function unescapeToHex(quoted: string): string {
  const body = quoted.slice(1, -1);
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== "\\") {
      bytes.push(c.charCodeAt(0));
      continue;
    }
    const next = body[i + 1] as string;
    if (/[0-7]/.test(next)) {
      const oct = /^[0-7]{1,3}/.exec(body.slice(i + 1))?.[0] as string;
      bytes.push(Number.parseInt(oct, 8));
      i += oct.length;
      continue;
    }
    const simple: Record<string, number> = { n: 10, r: 13, t: 9, '"': 34, "'": 39, "\\": 92 };
    bytes.push(simple[next] as number);
    i += 1;
  }
  return Buffer.from(bytes).toString("hex");
}

const child = (node: RawNode, field: number) => node.children?.filter((n) => n.field === field) ?? [];

let receiver: OtlpReceiver | null = null;
afterEach(async () => {
  await receiver?.close();
  receiver = null;
});

describe("the test decoder agrees with protoc", () => {
  test("protoc --decode_raw sees the same spans, times, kinds, attributes, events and ids", async () => {
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
    const protoc = spawnSync("protoc", ["--decode_raw"], { input: body });
    expect(protoc.status).toBe(0);
    const raw = parseDecodeRaw(protoc.stdout.toString());

    const ours = spansOf(decodeExportTraceServiceRequest(body));
    const rawSpans = raw.flatMap((rs) => child(rs, 2).flatMap((ss) => child(ss, 2)));
    expect(rawSpans.length).toBe(ours.length);
    expect(ours.length).toBe(3);
    rawSpans.forEach((rawSpan, i) => {
      const span = ours[i]!;
      const scalar = (f: number) => child(rawSpan, f)[0]?.text;
      expect(BigInt(scalar(7) as string)).toBe(span.startTimeUnixNano);
      expect(BigInt(scalar(8) as string)).toBe(span.endTimeUnixNano);
      expect(Number(scalar(6))).toBe(span.kind);
      expect(child(rawSpan, 9).length).toBe(Object.keys(span.attributes).length);
      expect(child(rawSpan, 11).length).toBe(span.events.length);
      const status = child(rawSpan, 15)[0];
      expect(Number(status ? child(status, 3)[0]?.text ?? 0 : 0)).toBe(span.status.code);
      // Ids are random bytes: protoc prints them as strings unless they happen to parse as a message.
      for (const [field, id] of [[1, span.traceId], [2, span.spanId], [4, span.parentSpanId]] as const) {
        const text = scalar(field);
        if (text?.startsWith('"')) expect(unescapeToHex(text)).toBe(id);
      }
    });
    // The resource, as protoc sees it, names the service.
    const resourceText = protoc.stdout.toString();
    expect(resourceText).toContain('1: "service.name"');
    expect(resourceText).toContain('1: "codex-orchestrator"');
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
