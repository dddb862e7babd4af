// `mcp --http 127.0.0.1:PORT` (issue 19): Streamable HTTP on loopback with a bearer token, spoken to by the official
// SDK's StreamableHTTPClientTransport; requests without or with a wrong token are refused before any MCP code runs.
import { afterAll, describe, expect, test } from "bun:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { runCli } from "../helpers/cli.ts";
import { type Json, startHttpServer, workspace } from "./mcp-helpers.ts";
import { readValidManifest } from "../helpers/runs.ts";

const procs: Bun.Subprocess[] = [];
afterAll(async () => {
  for (const p of procs) {
    p.kill("SIGTERM");
    await p.exited;
  }
});

/** Starts the server on a free port in a fresh workspace. */
async function serve(config?: Json, extraEnv: Record<string, string> = {}): Promise<{ url: string; token: string; w: string; proc: Bun.Subprocess }> {
  const { w, env } = workspace(config);
  const server = await startHttpServer(w, { ...env, ...extraEnv });
  procs.push(server.proc);
  return { ...server, w };
}

async function connect(url: string, token: string, elicit = false): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  const client = new Client({ name: "http-tests", version: "1.0.0" }, { capabilities: elicit ? { elicitation: {} } : {} });
  if (elicit) client.setRequestHandler(ElicitRequestSchema, () => ({ action: "accept", content: { decision: "once" } }));
  await client.connect(transport);
  return client;
}

const initialize = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } });
const post = (url: string, headers: Record<string, string>, body = initialize) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }, body });

describe("mcp over Streamable HTTP", () => {
  test("prints its URL and a fresh token; the SDK client with the token lists tools and runs a recorded exec", async () => {
    const { url, token } = await serve();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const client = await connect(url, token);
    expect((await client.listTools()).tools).toHaveLength(8);
    const r = (await client.callTool({ name: "exec", arguments: { command: ["sh", "-c", "echo over http"] } })) as Json;
    expect(r.structuredContent).toMatchObject({ status: "succeeded", exit_code: 0, output: "over http\n" });
    expect((readValidManifest(r.structuredContent.manifest) as Json).status).toBe("succeeded");
    await client.close();
  });

  test("no token, a wrong token, or a foreign Host header: refused, and the server keeps serving", async () => {
    const { url, token } = await serve();
    const none = await post(url, {});
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    expect((await none.json()).error.code).toBe(-32001);
    expect((await post(url, { authorization: `Bearer ${token.replace(/.$/, (c) => (c === "0" ? "1" : "0"))}` })).status).toBe(401);
    expect((await post(url, { authorization: token })).status).toBe(401);
    const rebinding = await post(url, { authorization: `Bearer ${token}`, host: "evil.example:80" });
    expect(rebinding.status).toBe(403);
    const rejected = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: "Bearer nope" } } });
    await expect(new Client({ name: "x", version: "1" }).connect(rejected)).rejects.toThrow();
    const client = await connect(url, token);
    expect((await client.listTools()).tools.length).toBe(8);
    await client.close();
  });

  test("a malformed body is a JSON-RPC parse error; an unknown session is refused", async () => {
    const { url, token } = await serve();
    const auth = { authorization: `Bearer ${token}` };
    const garbage = await post(url, auth, "{not json");
    expect(garbage.status).toBe(400);
    expect((await garbage.json()).error.code).toBe(-32700);
    const stray = await post(url, { ...auth, "mcp-session-id": "no-such-session" }, JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }));
    expect(stray.status).toBe(404);
    const client = await connect(url, token);
    expect((await client.listTools()).tools.length).toBe(8);
    await client.close();
  });

  test("elicitation over HTTP reaches the client of the call", async () => {
    const { url, token, w } = await serve({ rules: [{ match: ["touch"], decision: "prompt" }] });
    const client = await connect(url, token, true);
    const r = (await client.callTool({ name: "exec", arguments: { command: ["touch", "asked"] } })) as Json;
    expect(r.structuredContent).toMatchObject({ status: "succeeded", exit_code: 0 });
    expect(await Bun.file(`${w}/asked`).exists()).toBe(true);
    await client.close();
  });

  test("CODEX_ORCHESTRATOR_MCP_TOKEN gives a stable token; a short one is bad input", async () => {
    const fixed = "a-stable-token-for-clients-0123";
    const { url, token } = await serve(undefined, { CODEX_ORCHESTRATOR_MCP_TOKEN: fixed });
    expect(token).toBe(fixed);
    const client = await connect(url, fixed);
    expect((await client.listTools()).tools.length).toBe(8);
    await client.close();
    const { w, env } = workspace();
    const r = await runCli(["mcp", "--http", "127.0.0.1:0"], { cwd: w, env: { ...env, CODEX_ORCHESTRATOR_MCP_TOKEN: "short" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("Invalid value for CODEX_ORCHESTRATOR_MCP_TOKEN: expected at least 16 characters without spaces.\n");
  });

  test("--http is loopback only: another address is bad input (exit 2)", async () => {
    const { w, env } = workspace();
    const r = await runCli(["mcp", "--http", "0.0.0.0:8123"], { cwd: w, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "Invalid value for --http: 0.0.0.0:8123 (the server listens on loopback only: 127.0.0.1:PORT, localhost:PORT or [::1]:PORT).\n",
    );
  });
});
