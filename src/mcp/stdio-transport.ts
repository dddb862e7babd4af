import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";

/** A line longer than this is no MCP message we accept (the SDK's own limit). */
export const MAX_LINE_BYTES = 10 * 1024 * 1024;

type Input = { on(event: "data", listener: (chunk: Buffer) => void): unknown; off(event: "data", listener: (chunk: Buffer) => void): unknown };
type Output = { write(text: string): boolean; once(event: "drain", listener: () => void): unknown };

/**
 * MCP over stdio as the SDK's `Transport`: newline-delimited JSON-RPC, each line parsed and checked once. The SDK's
 * own stdio transport drops a line that is not JSON or not a JSON-RPC message without a word; this one answers it
 * (-32700 parse error, -32600 invalid request, with the request's id when it has one) and goes on reading. It also
 * hands the checked message straight to the server: checking each line here and then feeding it to the SDK's
 * transport parsed and validated every request twice and sent it through a stream in between (measured:
 * docs/benchmarks.md#mcp).
 */
export class StdioLineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private pending: Buffer = Buffer.alloc(0);
  private started = false;

  constructor(
    private readonly input: Input,
    private readonly output: Output,
  ) {}

  async start(): Promise<void> {
    if (this.started) throw new Error("StdioLineTransport already started");
    this.started = true;
    this.input.on("data", this.onData);
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve) => {
      if (this.output.write(`${JSON.stringify(message)}\n`)) resolve();
      else this.output.once("drain", resolve);
    });
  }

  async close(): Promise<void> {
    this.input.off("data", this.onData);
    this.pending = Buffer.alloc(0);
    this.onclose?.();
  }

  private readonly onData = (chunk: Buffer): void => {
    let pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (let nl = pending.indexOf(10); nl !== -1; nl = pending.indexOf(10)) {
      const line = pending.toString("utf8", 0, nl);
      pending = pending.subarray(nl + 1);
      this.line(line);
    }
    if (pending.length > MAX_LINE_BYTES) {
      pending = Buffer.alloc(0);
      this.reply(null, -32700, `Parse error: message longer than ${MAX_LINE_BYTES} bytes`);
    }
    this.pending = pending;
  };

  private line(line: string): void {
    const text = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (text.trim() === "") return;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      this.reply(null, -32700, `Parse error: ${(error as Error).message}`);
      return;
    }
    const checked = JSONRPCMessageSchema.safeParse(raw);
    if (!checked.success) {
      this.reply((raw as { id?: unknown } | null)?.id, -32600, "Invalid Request: not a JSON-RPC 2.0 message");
      return;
    }
    try {
      this.onmessage?.(checked.data);
    } catch (error) {
      this.onerror?.(error as Error);
    }
  }

  private reply(id: unknown, code: number, message: string): void {
    const validId = typeof id === "string" || typeof id === "number" ? id : null;
    void this.send({ jsonrpc: "2.0", id: validId, error: { code, message } } as JSONRPCMessage).catch(() => undefined);
  }
}
