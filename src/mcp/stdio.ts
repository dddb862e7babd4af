import { PassThrough } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import type { McpContext } from "./mcp-context.ts";
import { createMcpServer } from "./server.ts";
import { stopRuns } from "./shutdown.ts";

/** A line longer than this is no MCP message we accept (the SDK's own limit). */
const MAX_LINE_BYTES = 10 * 1024 * 1024;

/**
 * `codex-orchestrator mcp`: MCP over stdio (newline-delimited JSON-RPC). The SDK's transport silently drops a line
 * that is not JSON or not a JSON-RPC message; here such a line is answered with a JSON-RPC error (-32700 parse error,
 * -32600 invalid request, with the request's id when it has one) and the server goes on serving. Resolves when the
 * client closes stdin (or a signal arrives) and the runs in progress are recorded cancelled.
 */
export async function serveStdio(ctx: McpContext): Promise<void> {
  const input = new PassThrough();
  const transport = new StdioServerTransport(input, process.stdout);
  const server = createMcpServer(ctx);
  const reply = (id: unknown, code: number, message: string) => {
    const validId = typeof id === "string" || typeof id === "number" ? id : null;
    void transport.send({ jsonrpc: "2.0", id: validId, error: { code, message } } as never).catch(() => undefined);
  };
  let pending: Buffer = Buffer.alloc(0);
  process.stdin.on("data", (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (let nl = pending.indexOf(10); nl !== -1; nl = pending.indexOf(10)) {
      const line = pending.subarray(0, nl);
      pending = pending.subarray(nl + 1);
      forward(line);
    }
    if (pending.length > MAX_LINE_BYTES) {
      pending = Buffer.alloc(0);
      reply(null, -32700, `Parse error: message longer than ${MAX_LINE_BYTES} bytes`);
    }
  });
  const forward = (line: Buffer) => {
    const text = line.toString("utf8").replace(/\r$/, "");
    if (text.trim() === "") return;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      return reply(null, -32700, `Parse error: ${(error as Error).message}`);
    }
    if (!JSONRPCMessageSchema.safeParse(raw).success) {
      return reply((raw as { id?: unknown } | null)?.id, -32600, "Invalid Request: not a JSON-RPC 2.0 message");
    }
    input.write(`${text}\n`);
  };
  transport.onerror = () => undefined;
  await server.connect(transport);
  await new Promise<void>((resolve) => {
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(signal, () => resolve());
  });
  await stopRuns(ctx);
  await server.close().catch(() => undefined);
}
