import type { McpContext } from "./mcp-context.ts";

/** How long a stopping server waits for its cancelled runs to be recorded. */
const STOP_WAIT_MS = 15_000;

/**
 * The server is going away (client gone, signal): every run in progress is cancelled (SIGTERM to its command, the run
 * recorded `cancelled`) and waited for, so that no manifest is left `in_progress` by a server that stopped cleanly.
 */
export async function stopRuns(ctx: McpContext): Promise<void> {
  for (const scope of ctx.active) scope.cancel("SIGTERM");
  const pending = ctx.live.list().map((exec) => exec.done);
  const deadline = Date.now() + STOP_WAIT_MS;
  while (ctx.active.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await Promise.race([Promise.all(pending), new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref())]);
}
