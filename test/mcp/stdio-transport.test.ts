import { describe, expect, test } from "bun:test";
import { PassThrough } from "node:stream";
import { MAX_LINE_BYTES, StdioLineTransport } from "../../src/mcp/stdio-transport.ts";

/** A transport on real streams: what the server would read from stdin, what it writes to stdout. */
async function open() {
  const input = new PassThrough();
  const output = new PassThrough();
  const transport = new StdioLineTransport(input, output);
  const messages: unknown[] = [];
  transport.onmessage = (m) => messages.push(m);
  await transport.start();
  let written = "";
  output.on("data", (chunk: Buffer) => {
    written += chunk.toString("utf8");
  });
  const lines = () =>
    written
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l));
  // A PassThrough delivers what is written to it on a later tick.
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { input, transport, messages, lines, settle };
}

const ping = (id: number) => JSON.stringify({ jsonrpc: "2.0", id, method: "ping" });

describe("StdioLineTransport", () => {
  test("a message split across chunks, two in one chunk, CRLF and blank lines", async () => {
    const t = await open();
    const whole = ping(1);
    t.input.write(whole.slice(0, 10));
    await t.settle();
    expect(t.messages).toEqual([]);
    t.input.write(`${whole.slice(10)}\n\r\n${ping(2)}\r\n${ping(3)}\n   \n`);
    await t.settle();
    expect(t.messages).toEqual([1, 2, 3].map((id) => ({ jsonrpc: "2.0", id, method: "ping" })));
    expect(t.lines()).toEqual([]);
  });

  test("a line that is not JSON or not JSON-RPC is answered, and the next one still arrives", async () => {
    const t = await open();
    t.input.write(`{not json\n${JSON.stringify({ id: 7, hello: true })}\n${JSON.stringify({ jsonrpc: "2.0", id: "x", nope: 1 })}\n${ping(4)}\n`);
    await t.settle();
    const [parse, invalid, invalidWithStringId] = t.lines();
    expect(parse).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32700 } });
    expect(invalid).toMatchObject({ jsonrpc: "2.0", id: 7, error: { code: -32600 } });
    expect(invalidWithStringId).toMatchObject({ id: "x", error: { code: -32600 } });
    expect(t.messages).toEqual([{ jsonrpc: "2.0", id: 4, method: "ping" }]);
  });

  test("a line longer than the limit is refused and dropped; reading goes on", async () => {
    const t = await open();
    t.input.write(Buffer.alloc(MAX_LINE_BYTES + 1, 0x61));
    await t.settle();
    expect(t.lines()).toEqual([expect.objectContaining({ id: null, error: expect.objectContaining({ code: -32700 }) })]);
    t.input.write(`\n${ping(5)}\n`);
    await t.settle();
    expect(t.messages).toEqual([{ jsonrpc: "2.0", id: 5, method: "ping" }]);
  });

  test("send writes one line per message; after close nothing more is read", async () => {
    const t = await open();
    let closed = false;
    t.transport.onclose = () => {
      closed = true;
    };
    await t.transport.send({ jsonrpc: "2.0", id: 9, result: {} });
    await t.settle();
    expect(t.lines()).toEqual([{ jsonrpc: "2.0", id: 9, result: {} }]);
    await t.transport.close();
    expect(closed).toBe(true);
    t.input.write(`${ping(6)}\n`);
    await t.settle();
    expect(t.messages).toEqual([]);
  });
});
