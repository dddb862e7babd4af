import { describe, expect, test } from "bun:test";
import { UnreadOutput } from "../../src/mcp/unread-output.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("UnreadOutput", () => {
  test("hands back what was pushed, then starts afresh", () => {
    const out = new UnreadOutput(64);
    out.push(bytes("hello "));
    out.push(bytes("world\r\n"));
    expect(out.bytes).toBe(13);
    expect(out.take(1000, true)).toEqual({ text: "hello world\n", bytes: 13, truncated: false });
    expect(out.take(1000)).toEqual({ text: "", bytes: 0, truncated: false });
  });

  test("a read over the limit keeps head and tail and says how much was cut", () => {
    const out = new UnreadOutput(1000);
    out.push(bytes(`${"a".repeat(50)}${"b".repeat(100)}${"c".repeat(50)}`));
    const read = out.take(100);
    expect(read).toEqual({ text: `${"a".repeat(50)}\n…[100 bytes omitted]…\n${"c".repeat(50)}`, bytes: 200, truncated: true });
  });

  test("memory stays bounded past capacity: only the first and last halves survive", () => {
    const out = new UnreadOutput(20);
    out.push(bytes("0123456789"));
    for (let i = 0; i < 1000; i++) out.push(bytes("x".repeat(100)));
    out.push(bytes("ABCDEFGHIJ"));
    const read = out.take(1_000_000);
    expect(read.bytes).toBe(100_020);
    expect(read.truncated).toBe(true);
    expect(read.text).toBe("0123456789\n…[100000 bytes omitted]…\nABCDEFGHIJ");
  });

  test("a waiter wakes at the next push", async () => {
    const out = new UnreadOutput();
    const next = out.nextPush();
    out.push(bytes("x"));
    await next.promise;
    next.cancel();
    expect(out.take(10).text).toBe("x");
  });
});
