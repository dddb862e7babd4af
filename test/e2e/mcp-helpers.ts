import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { type ElicitRequest, ElicitRequestSchema, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { CLI, cliEnv, scratchDir } from "../helpers/cli.ts";

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON under test is walked freely
export type Json = Record<string, any>;

/** A workspace (with an optional codex.orchestrator.json) and a private XDG state/config. */
export function workspace(config?: Json): { w: string; env: Record<string, string>; root: string } {
  const root = scratchDir("co-e2e-mcp-");
  const w = join(root, "ws");
  mkdirSync(w);
  if (config !== undefined) writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify(config));
  return { w, root, env: { XDG_STATE_HOME: join(root, "state"), XDG_CONFIG_HOME: join(root, "config"), HOME: root, CODEX_ORCHESTRATOR_SESSION_IDLE_MS: "60000" } };
}

export type Elicit = (request: ElicitRequest) => ElicitResult | Promise<ElicitResult>;

/** The real SDK client over stdio to the compiled binary's `mcp` (with elicitation when `elicit` is given). */
export async function stdioClient(
  w: string,
  env: Record<string, string>,
  options: { args?: string[]; elicit?: Elicit } = {},
): Promise<{ client: Client; stderr: () => string; close: () => Promise<void> }> {
  const transport = new StdioClientTransport({ command: CLI, args: ["mcp", ...(options.args ?? [])], cwd: w, env: cliEnv(env), stderr: "pipe" });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const client = new Client({ name: "codex-orchestrator-tests", version: "1.0.0" }, { capabilities: options.elicit === undefined ? {} : { elicitation: {} } });
  if (options.elicit !== undefined) {
    const elicit = options.elicit;
    client.setRequestHandler(ElicitRequestSchema, (request) => elicit(request));
  }
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}

/** A tool call's structured result (and its text), asserting the call itself did not fail at the protocol level. */
export async function call(client: Client, name: string, args: Json = {}): Promise<{ s: Json; text: string; isError: boolean }> {
  const r = (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as Json;
  return { s: (r.structuredContent ?? {}) as Json, text: r.content?.[0]?.text ?? "", isError: r.isError === true };
}

/** `mcp --http 127.0.0.1:0` in `w` (a free port); resolves once it printed its two lines: the URL and the token. */
export async function startHttpServer(w: string, env: Record<string, string>): Promise<{ url: string; token: string; proc: Bun.Subprocess<"ignore", "pipe", "pipe"> }> {
  const proc = Bun.spawn([CLI, "mcp", "--http", "127.0.0.1:0"], { cwd: w, env: cliEnv(env), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const reader = proc.stdout.getReader();
  let text = "";
  while (!/Bearer token: \S+\n/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server ended: ${text}`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(text)?.[1] as string;
  const token = /Bearer token: (\S+)/.exec(text)?.[1] as string;
  return { url, token, proc };
}
