import { describe, expect, test } from "bun:test";
import { CHUNK_BYTES, chunkBytesOf, chunkEventParts } from "../../src/core/chunk-event.ts";
import { EventStream } from "../../src/core/event-stream.ts";
import { Utf8Chunker } from "../../src/exec/chunker.ts";

const enc = new TextEncoder();

/** An exec:chunk event built the way the stage runner builds it: `data` read lazily, the chunk under CHUNK_BYTES. */
function chunkEvent(bytes: Uint8Array, reads: { count: number }) {
  const [chunk] = new Utf8Chunker("stderr").push(bytes);
  if (chunk === undefined) throw new Error("no chunk");
  const payload = {
    attempt: 2,
    correlationId: 'c"1',
    stream: chunk.stream,
    sequence: 7,
    bytes: chunk.bytes,
    get data(): string {
      reads.count += 1;
      return chunk.data;
    },
    ...(chunk.encoding ? { encoding: chunk.encoding } : {}),
    runId: "r-1",
    [CHUNK_BYTES]: chunk,
  };
  return new EventStream(() => new Date("2026-12-03T00:00:00.000Z")).envelope("exec:chunk", payload);
}

describe("chunkEventParts", () => {
  for (const [name, bytes] of [
    ["text with quotes, controls and multi-byte characters", enc.encode('say "hi"\n\t\\ é € 😀 \u0001\u007f')],
    ["bytes that are not UTF-8 (base64)", new Uint8Array([0xff, 0x00, 0x22, 0x5c])],
    ["text that needs no escaping", enc.encode("plain")],
  ] as const) {
    test(`joined, the parts are JSON.stringify(event) + newline: ${name}`, () => {
      const reads = { count: 0 };
      const event = chunkEvent(bytes, reads);
      const parts = chunkEventParts(event);
      expect(parts).not.toBeNull();
      const [head, data, tail] = parts as NonNullable<typeof parts>;
      // Building the parts never decodes the chunk into a string.
      expect(reads.count).toBe(0);
      const line = head + new TextDecoder().decode(data) + tail;
      expect(line).toBe(`${JSON.stringify(event)}\n`);
      expect(JSON.parse(line).payload.data).toBe((event.payload as { data: string }).data);
    });
  }

  test("other events, and chunk events without bytes, have no parts", () => {
    const events = new EventStream();
    expect(chunkEventParts(events.envelope("exec:retry", { attempt: 1, correlationId: "c", delayMs: 5, sandboxState: "unsandboxed", errorMessage: "x", runId: "r" } as never))).toBeNull();
    const plain = events.envelope("exec:chunk", { attempt: 1, correlationId: "c", stream: "stdout", sequence: 1, bytes: 1, data: "x", runId: "r" });
    expect(chunkBytesOf(plain)).toBeUndefined();
    expect(chunkEventParts(plain)).toBeNull();
  });
});
