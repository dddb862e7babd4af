import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { UsageError } from "../core/errors.ts";
import type { McpContext } from "./mcp-context.ts";
import { createMcpServer } from "./server.ts";
import { stopRuns } from "./shutdown.ts";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);
const MAX_BODY_BYTES = 10 * 1024 * 1024;
export const MCP_PATH = "/mcp";

export type HttpAddress = { host: string; port: number };

/** `--http 127.0.0.1:PORT` (or `localhost:PORT`, `[::1]:PORT`): loopback only, PORT 0 picks a free one. */
export function parseHttpAddress(value: string): HttpAddress {
  const m = /^(\[::1\]|[^:]+):(\d{1,5})$/.exec(value);
  const port = m === null ? Number.NaN : Number(m[2]);
  if (m === null || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(`Invalid value for --http: ${value} (expected 127.0.0.1:PORT).`);
  }
  const host = m[1] as string;
  if (!LOOPBACK_HOSTS.has(host)) {
    throw new UsageError(`Invalid value for --http: ${value} (the server listens on loopback only: 127.0.0.1:PORT, localhost:PORT or [::1]:PORT).`);
  }
  return { host: host === "localhost" ? "127.0.0.1" : host.replace(/^\[|\]$/g, ""), port };
}

/** The bearer token: `CODEX_ORCHESTRATOR_MCP_TOKEN` when set (at least 16 characters), else 32 random bytes. */
export function serverToken(env: Record<string, string | undefined>): string {
  const given = env.CODEX_ORCHESTRATOR_MCP_TOKEN;
  if (given === undefined || given === "") return randomBytes(32).toString("hex");
  if (given.length < 16 || /\s/.test(given)) {
    throw new UsageError("Invalid value for CODEX_ORCHESTRATOR_MCP_TOKEN: expected at least 16 characters without spaces.");
  }
  return given;
}

/**
 * `codex-orchestrator mcp --http 127.0.0.1:PORT` (issue 19): Streamable HTTP on loopback, one MCP session (and SDK
 * transport) per client, every request with `Authorization: Bearer <token>` — none or a wrong one is 401 and reaches
 * no MCP code. A Host header that is not the loopback address is refused too (DNS rebinding). Prints the URL and the
 * token, then serves until SIGINT/SIGTERM, when its runs are recorded cancelled.
 */
export async function serveHttp(ctx: McpContext, address: HttpAddress, token: string, print: (line: string) => Promise<void>): Promise<void> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const expected = Buffer.from(`Bearer ${token}`);
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) reject(res, 500, -32603, `Internal error: ${(error as Error).message}`);
    });
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const host = (req.headers.host ?? "").replace(/:\d+$/, "");
    if (!LOOPBACK_HOSTS.has(host)) return reject(res, 403, -32000, `Forbidden: Host ${req.headers.host ?? "(none)"} is not this loopback server`);
    const given = Buffer.from(req.headers.authorization ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.setHeader("WWW-Authenticate", 'Bearer realm="codex-orchestrator"');
      return reject(res, 401, -32001, "Unauthorized: send Authorization: Bearer <token> (printed when the server started)");
    }
    if (url.pathname !== MCP_PATH) return reject(res, 404, -32000, `Not found: the MCP endpoint is ${MCP_PATH}`);
    let body: unknown;
    if (req.method === "POST") {
      const text = await readBody(req);
      if (text === null) return reject(res, 413, -32700, `Parse error: body over ${MAX_BODY_BYTES} bytes`);
      try {
        body = JSON.parse(text);
      } catch (error) {
        return reject(res, 400, -32700, `Parse error: ${(error as Error).message}`);
      }
    }
    const sessionId = req.headers["mcp-session-id"];
    const existing = typeof sessionId === "string" ? transports.get(sessionId) : undefined;
    if (existing !== undefined) return existing.handleRequest(req, res, body);
    if (typeof sessionId === "string") return reject(res, 404, -32001, `Session not found: ${sessionId}`);
    if (req.method !== "POST" || !isInitializeRequest(body)) {
      return reject(res, 400, -32000, "Bad Request: no valid mcp-session-id (initialize first)");
    }
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        transports.set(id, transport);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) transports.delete(transport.sessionId);
    };
    await createMcpServer(ctx).connect(transport);
    await transport.handleRequest(req, res, body);
  };
  await new Promise<void>((resolve, rejectListen) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      rejectListen(new UsageError(`Invalid value for --http: ${address.host}:${address.port} (${error.code === "EADDRINUSE" ? "address in use" : error.message}).`)),
    );
    server.listen(address.port, address.host, () => resolve());
  });
  const bound = server.address();
  const port = typeof bound === "object" && bound !== null ? bound.port : address.port;
  const shown = address.host.includes(":") ? `[${address.host}]` : address.host;
  await print(`MCP server listening on http://${shown}:${port}${MCP_PATH}\nBearer token: ${token}\n`);
  await new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(signal, () => resolve());
  });
  await stopRuns(ctx);
  for (const transport of transports.values()) await transport.close().catch(() => undefined);
  server.closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function reject(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, rejectRead) => {
    const parts: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) over = true;
      else parts.push(chunk);
    });
    req.on("end", () => resolve(over ? null : Buffer.concat(parts).toString("utf8")));
    req.on("error", rejectRead);
  });
}
