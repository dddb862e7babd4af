// The real coding-agent clients against `codex-orchestrator mcp` (issue 19): Claude Code and Codex CLI, registered
// with exactly the lines docs/guides/mcp.md gives, over stdio and over Streamable HTTP. Only the model behind each
// client is scripted (agent-model-stubs.ts), so that the client calls our tools without an account or a network.
// The clients are npm packages too large to be devDependencies (≈ 650 MB together); `.ci/run` installs them and
// points CODEX_ORCHESTRATOR_AGENT_CLIENTS at their bin directory, elsewhere these tests are skipped with the reason.
import { afterAll, expect } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { CLI, cliEnv, scratchDir } from "../helpers/cli.ts";
import { needsProgram } from "../helpers/needs-program.ts";
import { readValidManifest } from "../helpers/runs.ts";
import { anthropicStub, type ModelStub, responsesStub, resultsOf } from "./agent-model-stubs.ts";
import { startHttpServer } from "./mcp-helpers.ts";

const clientsDir = process.env.CODEX_ORCHESTRATOR_AGENT_CLIENTS;
const searchPath = [clientsDir, process.env.PATH].filter(Boolean).join(delimiter);
const INSTALL = "npm install --prefix DIR @anthropic-ai/claude-code @openai/codex, then CODEX_ORCHESTRATOR_AGENT_CLIENTS=DIR/node_modules/.bin";
const claude = needsProgram("claude", INSTALL, { ...process.env, PATH: searchPath });
const codex = needsProgram("codex", INSTALL, { ...process.env, PATH: searchPath });

const stubs: ModelStub[] = [];
const servers: Bun.Subprocess[] = [];
afterAll(async () => {
  for (const stub of stubs) stub.stop();
  for (const server of servers) {
    server.kill("SIGTERM");
    await server.exited;
  }
});

/** A repository with a `sub/` directory, a scratch HOME, and `codex-orchestrator` on PATH as the binary under test. */
function agentWorkspace(): { w: string; home: string; env: Record<string, string> } {
  const root = scratchDir("co-e2e-agents-");
  const w = join(root, "repo");
  const home = join(root, "home");
  mkdirSync(join(w, "sub"), { recursive: true });
  mkdirSync(home);
  const env = cliEnv({
    HOME: home,
    XDG_STATE_HOME: join(root, "state"),
    XDG_CONFIG_HOME: join(root, "config"),
    PATH: [dirname(CLI), searchPath].join(delimiter),
    MCP_RUNNER_TASK_ID: undefined,
    CODEX_ORCHESTRATOR_SESSION_IDLE_MS: "60000",
    // Keep the clients off the network: no update checks, no telemetry.
    DISABLE_AUTOUPDATER: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_TELEMETRY: "1",
  });
  return { w, home, env };
}

async function run(argv: string[], cwd: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = Bun.spawn(argv, { cwd, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 120_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** `codex-orchestrator mcp --http 127.0.0.1:0` in `w` with a fixed token; resolves to its URL. */
async function httpServer(w: string, env: Record<string, string>, token: string): Promise<string> {
  const server = await startHttpServer(w, { ...env, CODEX_ORCHESTRATOR_MCP_TOKEN: token });
  servers.push(server.proc);
  return server.url;
}

/** Two calls in one live shell: the second sees the first one's `cd` and export. */
const SESSION_CALLS = [
  { command: "cd sub && export AGENT_VAR=42", session: "agent" },
  { command: 'echo "$AGENT_VAR"; pwd', session: "agent" },
];

function checkSessionResults(results: Record<string, unknown>[], w: string, task: string): void {
  expect(results.map((r) => [r.status, r.exit_code])).toEqual([
    ["succeeded", 0],
    ["succeeded", 0],
  ]);
  expect(results[1]?.output).toBe(`42\n${w}/sub\n`);
  for (const r of results) {
    const manifest = readValidManifest(r.manifest as string);
    expect(r.manifest as string).toStartWith(join(w, ".runs", task, "cli"));
    expect(manifest.status).toBe("succeeded");
  }
}

claude.describe("Claude Code as the MCP client", () => {
  claude.test("registered with the documented stdio line: connected, and its agent runs commands in a live session", async () => {
    const { w, env } = agentWorkspace();
    const claudeBin = claude.path as string;
    // docs/guides/mcp.md, "Claude Code", verbatim (local scope: this project in the user's ~/.claude.json).
    const added = await run(
      [claudeBin, "mcp", "add", "codex-orchestrator", "-e", "MCP_RUNNER_TASK_ID=my-task", "--", "codex-orchestrator", "mcp", "--sandbox", "workspace-write"],
      w,
      env,
    );
    expect(added.code).toBe(0);
    const listed = await run([claudeBin, "mcp", "list"], w, env);
    expect(listed.stdout).toMatch(/codex-orchestrator: codex-orchestrator mcp --sandbox workspace-write - ✔ Connected/);

    const model = anthropicStub("mcp__codex-orchestrator__exec", SESSION_CALLS);
    stubs.push(model);
    const agentEnv = { ...env, ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: "sk-ant-test-not-a-real-key" };
    const printed = await run([claudeBin, "-p", "run the two commands", "--allowedTools", "mcp__codex-orchestrator__exec", "--output-format", "json"], w, agentEnv);
    expect({ code: printed.code, stderr: printed.stderr }).toEqual({ code: 0, stderr: "" });
    const answer = JSON.parse(printed.stdout) as { result: string; is_error: boolean };
    expect(answer.is_error).toBe(false);
    checkSessionResults(resultsOf(answer.result), w, "my-task");
    // What Claude Code offered its model: all eight tools of the server, under its mcp__<server>__ names.
    const offered = new Set(model.requests.flatMap((r) => (r.body?.tools ?? []).map((t: { name: string }) => t.name)));
    for (const tool of ["exec", "write_stdin", "session_list", "session_kill", "start", "status", "plan", "resume"]) {
      expect(offered.has(`mcp__codex-orchestrator__${tool}`)).toBe(true);
    }
  }, 180_000);

  claude.test("registered with the documented HTTP line: connected with the token, refused with a wrong one", async () => {
    const { w, env } = agentWorkspace();
    const claudeBin = claude.path as string;
    const token = "agent-test-token-0123456789";
    const url = await httpServer(w, env, token);
    const add = (name: string, bearer: string) =>
      run([claudeBin, "mcp", "add", "--transport", "http", name, url, "--header", `Authorization: Bearer ${bearer}`], w, env);
    expect((await add("codex-orchestrator", token)).code).toBe(0);
    expect((await add("wrong-token", "not-the-token-at-all")).code).toBe(0);
    const listed = await run([claudeBin, "mcp", "list"], w, env);
    expect(listed.stdout).toContain(`codex-orchestrator: ${url} (HTTP) - ✔ Connected`);
    expect(listed.stdout).toMatch(/wrong-token: .* - ✘ Failed to connect/);
  }, 180_000);
});

codex.describe("Codex CLI as the MCP client", () => {
  /** ~/.codex/config.toml: a scripted model provider, then the server block of docs/guides/mcp.md. */
  function writeConfig(home: string, modelUrl: string, server: string): void {
    mkdirSync(join(home, ".codex"), { recursive: true });
    writeFileSync(
      join(home, ".codex", "config.toml"),
      [
        'model = "stub-model"',
        'model_provider = "stub"',
        "check_for_update_on_startup = false",
        "",
        "[model_providers.stub]",
        'name = "stub"',
        `base_url = "${modelUrl}/v1"`,
        'wire_api = "responses"',
        'env_key = "STUB_MODEL_KEY"',
        "",
        server,
      ].join("\n"),
    );
  }

  async function codexExec(w: string, env: Record<string, string>): Promise<string> {
    const last = join(dirname(w), "last-message.txt");
    const r = await run([codex.path as string, "exec", "--skip-git-repo-check", "--output-last-message", last, "run the two commands"], w, { ...env, STUB_MODEL_KEY: "stub" });
    expect(r.code).toBe(0);
    return readFileSync(last, "utf8");
  }

  codex.test("the documented stdio block: listed, and its agent runs commands in a live session", async () => {
    const { w, home, env } = agentWorkspace();
    const model = responsesStub("mcp__codex_orchestrator", "exec", SESSION_CALLS);
    stubs.push(model);
    // docs/guides/mcp.md, "Codex CLI", verbatim.
    writeConfig(
      home,
      model.url,
      [
        "[mcp_servers.codex-orchestrator]",
        'command = "codex-orchestrator"',
        'args = ["mcp", "--sandbox", "workspace-write"]',
        'env = { MCP_RUNNER_TASK_ID = "my-task" }',
        "tool_timeout_sec = 3600",
        'default_tools_approval_mode = "approve"',
      ].join("\n"),
    );
    const listed = await run([codex.path as string, "mcp", "list"], w, env);
    expect(listed.stdout).toMatch(/codex-orchestrator\s+codex-orchestrator\s+mcp --sandbox workspace-write\s.*enabled/);
    checkSessionResults(resultsOf(await codexExec(w, env)), w, "my-task");
  }, 180_000);

  codex.test("the documented HTTP block with bearer_token_env_var", async () => {
    const { w, home, env } = agentWorkspace();
    const token = "agent-test-token-0123456789";
    const url = await httpServer(w, { ...env, MCP_RUNNER_TASK_ID: "http-task" }, token);
    const model = responsesStub("mcp__codex_orchestrator", "exec", SESSION_CALLS);
    stubs.push(model);
    writeConfig(
      home,
      model.url,
      ["[mcp_servers.codex-orchestrator]", `url = "${url}"`, 'bearer_token_env_var = "CODEX_ORCH_TOKEN"', 'default_tools_approval_mode = "approve"'].join("\n"),
    );
    checkSessionResults(resultsOf(await codexExec(w, { ...env, CODEX_ORCH_TOKEN: token })), w, "http-task");
  }, 180_000);
});
