import type { McpContext } from "./mcp-context.ts";
import { createMcpServer } from "./server.ts";
import { stopRuns } from "./shutdown.ts";
import { StdioLineTransport } from "./stdio-transport.ts";

/**
 * `codex-orchestrator mcp`: MCP over stdio (newline-delimited JSON-RPC, `StdioLineTransport`: a line that is not a
 * JSON-RPC message is answered with a JSON-RPC error and the server goes on serving). Resolves when the client closes
 * stdin (or a signal arrives) and the runs in progress are recorded cancelled.
 */
export async function serveStdio(ctx: McpContext): Promise<void> {
  const transport = new StdioLineTransport(process.stdin, process.stdout);
  const server = createMcpServer(ctx);
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
