import { describe, expect, test } from "bun:test";
import { EventVersionError } from "../../src/sdk/errors.ts";
import { type JsonlItem, JsonlLineParser } from "../../src/sdk/jsonl-parser.ts";

const line = (seq: number, data = "x", v = 1) =>
  JSON.stringify({ type: "exec:chunk", timestamp: "2026-01-01T00:00:00.000Z", v, seq, payload: { data, runId: "r" } });

const kinds = (items: JsonlItem[]) => items.map((i) => (i.kind === "event" ? `event:${i.event.seq}` : i.kind));

describe("JsonlLineParser", () => {
  test("keeps a partial line until its newline arrives, across any split", () => {
    const text = `${line(1)}\n${line(2)}\n`;
    for (let cut = 1; cut < text.length; cut++) {
      const parser = new JsonlLineParser();
      const items = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut)), ...parser.end()];
      expect(kinds(items)).toEqual(["event:1", "event:2"]);
    }
  });

  test("a multi-byte character split between byte chunks survives", () => {
    const bytes = new TextEncoder().encode(`${line(1, "héllo ✓ 😀")}\n`);
    const parser = new JsonlLineParser();
    const items: JsonlItem[] = [];
    for (const b of bytes) items.push(...parser.push(Uint8Array.of(b)));
    expect(items).toHaveLength(1);
    const first = items[0];
    expect(first?.kind === "event" && first.event.payload.data).toBe("héllo ✓ 😀");
  });

  test("CRLF, blank lines and a last line without newline", () => {
    const parser = new JsonlLineParser();
    const items = [...parser.push(`\r\n${line(1)}\r\n   \n${line(2)}`), ...parser.end()];
    expect(kinds(items)).toEqual(["event:1", "event:2"]);
  });

  test("non-JSON and non-envelope lines are warnings, the stream goes on", () => {
    const parser = new JsonlLineParser();
    const items = parser.push(`garbage\n[1,2]\n{"type":"x"}\n${line(3)}\n`);
    expect(kinds(items)).toEqual(["warning", "warning", "warning", "event:3"]);
    expect(items[0]?.kind === "warning" && items[0].error.message).toBe("Failed to parse JSONL line: garbage");
    expect(items[2]?.kind === "warning" && items[2].error.message).toStartWith("Not an event envelope (");
  });

  test("a newer major envelope version is fatal and stops the reader", () => {
    const parser = new JsonlLineParser();
    const items = parser.push(`${line(1)}\n${line(2, "x", 2)}\n${line(3)}\n`);
    expect(kinds(items)).toEqual(["event:1", "fatal"]);
    const fatal = items[1];
    expect(fatal?.kind === "fatal" && fatal.error).toBeInstanceOf(EventVersionError);
    expect(parser.push(`${line(4)}\n`)).toEqual([]);
    expect(parser.end()).toEqual([]);
  });

  test("unknown keys and unknown event types pass through (additive compatibility)", () => {
    const parser = new JsonlLineParser();
    const raw = JSON.stringify({ type: "future:thing", timestamp: "2026-01-01T00:00:00.000Z", v: 1, seq: 1, extra: true, payload: { runId: "r", more: 1 } });
    const [item] = parser.push(`${raw}\n`);
    expect(item?.kind).toBe("event");
    if (item?.kind === "event") expect(item.event as unknown).toEqual(JSON.parse(raw));
  });
});
