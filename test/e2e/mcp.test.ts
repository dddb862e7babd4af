// The MCP server (issue 19) through the compiled binary, spoken to by the official SDK's client over stdio: tools and
// their schemas, exec (quick, yielded and continued, on a terminal, in a live shell session), the run records, rules,
// hooks, approval by elicitation, malformed requests and concurrent calls.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { CLI, cliEnv, runCli } from "../helpers/cli.ts";
import { type Json, call, stdioClient, workspace } from "./mcp-helpers.ts";
import { readValidManifest } from "../helpers/runs.ts";
import { waitFor } from "../helpers/wait.ts";

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers) await close().catch(() => undefined);
});

async function open(config?: Json, options: Parameters<typeof stdioClient>[2] = {}) {
  const { w, env, root } = workspace(config);
  const c = await stdioClient(w, env, options);
  closers.push(c.close);
  return { ...c, w, env, root };
}

describe("mcp over stdio", () => {
  test("initialize and tools/list: every tool with a JSON Schema from valibot", async () => {
    const { client } = await open();
    expect(client.getServerVersion()?.name).toBe("codex-orchestrator");
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(["exec", "write_stdin", "session_list", "session_kill", "start", "status", "plan", "resume"]);
    for (const tool of tools) expect(tool.inputSchema.type).toBe("object");
    const exec = tools[0] as Json;
    expect(exec.inputSchema.required).toEqual(["command"]);
    expect(exec.inputSchema.additionalProperties).toBe(false);
    expect(exec.inputSchema.properties.command.anyOf.map((s: Json) => s.type)).toEqual(["array", "string"]);
    expect(Object.keys(exec.inputSchema.properties)).toEqual(["command", "cwd", "timeout", "sandbox", "session", "tty", "yield_ms", "max_output_bytes", "require_approval"]);
    expect(exec.outputSchema.properties.exit_code).toBeDefined();
  });

  test("a quick exec: exit code, both streams, and a valid run record under .runs/ as from the CLI", async () => {
    const { client, w } = await open();
    const r = await call(client, "exec", { command: ["sh", "-c", "echo out; echo err >&2; exit 3"] });
    expect(r.isError).toBe(false);
    expect(r.s).toMatchObject({ status: "failed", exit_code: 3, session: null, timed_out: false, truncated: false });
    expect(r.s.output).toContain("out\n");
    expect(r.s.output).toContain("err\n");
    expect(r.s.manifest).toBe(join(w, ".runs", "t1", "cli", r.s.run_id, "manifest.json"));
    const m = readValidManifest(r.s.manifest) as Json;
    expect(m).toMatchObject({ pipeline_id: "exec", status: "failed", status_detail: "exec-failed" });
    expect(m.commands[0].exit_code).toBe(3);
    expect(m.toolRuns).toHaveLength(1);
    expect(m.toolRuns[0]).toMatchObject({ tool: "cli:command", approvalSource: "not-required", attemptCount: 1 });
    expect(r.text).toContain(`Exit code 3. Run ${r.s.run_id}`);
    // A shell line runs through /bin/sh -c.
    const line = await call(client, "exec", { command: "echo $((6*7)) | tr 4 x" });
    expect(line.s).toMatchObject({ status: "succeeded", exit_code: 0, output: "x2\n" });
    expect((readValidManifest(line.s.manifest) as Json).commands[0].command).toBe("echo $((6*7)) | tr 4 x");
  });

  test("a slow exec yields a session id with its output so far; write_stdin continues it to its exit code", async () => {
    const { client, w } = await open();
    const first = await call(client, "exec", { command: "echo start; while [ ! -f go ]; do sleep 0.02; done; echo end", yield_ms: 100 });
    expect(first.s).toMatchObject({ status: "running", exit_code: null, output: "start\n" });
    expect(first.s.session).toMatch(/^proc:\d+$/);
    expect(first.text).toContain(`continue with write_stdin {"session": "${first.s.session}"}`);
    expect((readValidManifest(first.s.manifest) as Json).status).toBe("in_progress");
    const listed = await call(client, "session_list");
    expect(listed.s.sessions).toContainEqual(expect.objectContaining({ session: first.s.session, kind: "exec", status: "running", run_id: first.s.run_id }));
    writeFileSync(join(w, "go"), "");
    const next = await call(client, "write_stdin", { session: first.s.session, chars: "", yield_ms: 60_000 });
    expect(next.s).toMatchObject({ status: "succeeded", exit_code: 0, session: null, output: "end\n", run_id: first.s.run_id });
    expect((readValidManifest(first.s.manifest) as Json).status).toBe("succeeded");
    // Its output was read to the end: the id is gone.
    const gone = await call(client, "write_stdin", { session: first.s.session, chars: "" });
    expect(gone.isError).toBe(true);
    expect(gone.text).toContain(`Unknown session: ${first.s.session}`);
  });

  test("tty: write_stdin types into the command's terminal; without tty it refuses input", async () => {
    const { client } = await open();
    const r = await call(client, "exec", { command: "read x; echo got:$x", tty: true, yield_ms: 100 });
    expect(r.s.status).toBe("running");
    const done = await call(client, "write_stdin", { session: r.s.session, chars: "hello\r", yield_ms: 60_000 });
    expect(done.s).toMatchObject({ status: "succeeded", exit_code: 0 });
    expect(done.s.output).toContain("got:hello\n");
    const pipe = await call(client, "exec", { command: "read x", yield_ms: 0 });
    const refused = await call(client, "write_stdin", { session: pipe.s.session ?? "none", chars: "x\n" });
    if (pipe.s.status === "running") {
      expect(refused.isError).toBe(true);
      expect(refused.text).toContain("has no terminal to type into");
    }
  });

  test("a session keeps cwd and environment across calls; session_list and session_kill", async () => {
    const { client, w } = await open();
    await Bun.write(join(w, "sub", "f"), "");
    const a = await call(client, "exec", { command: "cd sub && export FOO=bar", session: "s1" });
    expect(a.s).toMatchObject({ status: "succeeded", exit_code: 0 });
    const b = await call(client, "exec", { command: "pwd; echo $FOO", session: "s1" });
    expect(b.s.output).toBe(`${join(w, "sub")}\nbar\n`);
    expect((readValidManifest(b.s.manifest) as Json).commands[0].session).toEqual({ id: "s1", persisted: true, reused: true });
    const listed = await call(client, "session_list");
    expect(listed.s.sessions).toContainEqual(expect.objectContaining({ session: "s1", kind: "shell", cwd: join(w, "sub"), busy: false }));
    const killed = await call(client, "session_kill", { session: "s1" });
    expect(killed.s).toEqual({ session: "s1", killed: true });
    expect((await call(client, "session_list")).s.sessions.filter((s: Json) => s.session === "s1")).toEqual([]);
  });

  test("session_kill stops a running exec: its run is recorded cancelled", async () => {
    const { client } = await open();
    const r = await call(client, "exec", { command: ["sleep", "60"], yield_ms: 50 });
    expect(r.s.status).toBe("running");
    const killed = await call(client, "session_kill", { session: r.s.session });
    expect(killed.s).toMatchObject({ status: "cancelled", session: null, run_id: r.s.run_id });
    const m = readValidManifest(r.s.manifest) as Json;
    expect(m).toMatchObject({ status: "cancelled", status_detail: "cancelled:SIGTERM" });
    // In a live shell session: the command's run is cancelled and the session ended.
    const inShell = await call(client, "exec", { command: "sleep 60", session: "busy", yield_ms: 50 });
    expect(inShell.s).toMatchObject({ status: "running", session: "busy" });
    const stopped = await call(client, "session_kill", { session: "busy" });
    expect(stopped.s).toMatchObject({ status: "cancelled", run_id: inShell.s.run_id });
    expect((readValidManifest(inShell.s.manifest) as Json).status).toBe("cancelled");
    expect((await call(client, "session_list")).s.sessions.filter((s: Json) => s.session === "busy")).toEqual([]);
  });

  test("output is bounded: head and tail with a marker of what was cut", async () => {
    const { client } = await open();
    const r = await call(client, "exec", { command: "seq 1 20000", max_output_bytes: 1000 });
    expect(r.s).toMatchObject({ status: "succeeded", truncated: true, output_bytes: 108894 });
    expect(r.s.output.startsWith("1\n2\n3\n")).toBe(true);
    expect(r.s.output.endsWith("19999\n20000\n")).toBe(true);
    expect(r.s.output).toMatch(/…\[10789\d bytes omitted\]…/);
    expect(Buffer.byteLength(r.s.output)).toBeLessThan(1100);
  });

  test("a forbidden rule refuses through MCP as through the CLI, recorded as approvalSource rule", async () => {
    const { client, w } = await open({ rules: [{ match: ["git", "push"], decision: "forbidden", justification: "agents do not push" }] });
    const r = await call(client, "exec", { command: "touch ran; git push" });
    expect(r.isError).toBe(true);
    expect(r.s).toMatchObject({ status: "failed", exit_code: null });
    expect(r.s.error).toContain("Forbidden by rule 'git push'");
    expect(r.text).toContain("agents do not push");
    expect(existsSync(join(w, "ran"))).toBe(false);
    const m = readValidManifest(r.s.manifest) as Json;
    expect(m.toolRuns[0]).toMatchObject({ approvalSource: "rule", attemptCount: 0, refusal: { by: "rule" } });
  });

  test("a denying preExec hook and one that times out stop the command (fail closed)", async () => {
    const { client, w } = await open({
      hooks: { preExec: [{ command: `cat > last-hook.json; case "$(cat last-hook.json)" in *slow*) sleep 30;; *deny*) echo '{"decision":"deny","reason":"not via mcp"}';; esac`, timeout: 1 }] },
    });
    const denied = await call(client, "exec", { command: "echo deny; touch ran" });
    expect(denied.isError).toBe(true);
    expect(denied.s.error).toContain("Denied by preExec hook");
    expect(denied.s.error).toContain("not via mcp");
    expect(JSON.parse(readFileSync(join(w, "last-hook.json"), "utf8"))).toMatchObject({ origin: "mcp", runId: denied.s.run_id, cwd: w });
    const slow = await call(client, "exec", { command: "echo slow; touch ran" });
    expect(slow.isError).toBe(true);
    expect(slow.s.error).toContain("failed (timed out after 1s)");
    expect(existsSync(join(w, "ran"))).toBe(false);
    expect((readValidManifest(slow.s.manifest) as Json).toolRuns[0]).toMatchObject({ approvalSource: "hook", attemptCount: 0 });
    const fine = await call(client, "exec", { command: "echo fine" });
    expect(fine.s).toMatchObject({ status: "succeeded", exit_code: 0 });
  });

  test("approval by elicitation: accepted runs (approvalSource prompt), declined does not", async () => {
    const asked: string[] = [];
    const answers = ["accept", "decline"];
    const { client, w } = await open(
      { rules: [{ match: ["touch"], decision: "prompt", justification: "touching is reviewed" }] },
      {
        elicit: (request) => {
          asked.push(request.params.message);
          const action = answers.shift() as "accept" | "decline";
          return action === "accept" ? { action, content: { decision: "once" } } : { action };
        },
      },
    );
    const yes = await call(client, "exec", { command: ["touch", "a"] });
    expect(yes.s).toMatchObject({ status: "succeeded", exit_code: 0 });
    expect(existsSync(join(w, "a"))).toBe(true);
    expect((readValidManifest(yes.s.manifest) as Json).toolRuns[0].approvalSource).toBe("prompt");
    const no = await call(client, "exec", { command: ["touch", "b"] });
    expect(no.isError).toBe(true);
    expect(no.s.error).toMatch(/^Approval denied for cli:command\. Approval key [0-9a-f]{16}\.$/);
    expect(existsSync(join(w, "b"))).toBe(false);
    expect(asked).toHaveLength(2);
    expect(asked[0]).toMatch(/^Approval required for cli:command: Execute touch a \(cwd .*\)\. Run it\? \[key [0-9a-f]{16}\]$/);
  });

  test("a client without elicitation is refused with the approvals grant command to run", async () => {
    const { client } = await open({ rules: [{ match: ["touch"], decision: "prompt" }] });
    const r = await call(client, "exec", { command: ["touch", "a"] });
    expect(r.isError).toBe(true);
    expect(r.s.error).toMatch(/no approval prompter is available.*codex-orchestrator approvals grant [0-9a-f]{16}$/);
  });

  test("an exec asking for a looser sandbox than the server's needs approval; a stricter one does not", async () => {
    const { client } = await open(undefined, { args: ["--sandbox", "workspace-write"] });
    const looser = await call(client, "exec", { command: ["true"], sandbox: "danger-full-access" });
    expect(looser.isError).toBe(true);
    expect(looser.s.error).toMatch(/codex-orchestrator approvals grant [0-9a-f]{16}$/);
    const stricter = await call(client, "exec", { command: ["true"], sandbox: "read-only" });
    expect(stricter.s).toMatchObject({ status: "succeeded", exit_code: 0 });
    expect((readValidManifest(stricter.s.manifest) as Json).toolRuns[0].metadata.sandboxMode).toBe("read-only");
    const server = await call(client, "exec", { command: ["true"] });
    expect((readValidManifest(server.s.manifest) as Json).toolRuns[0].metadata.sandboxMode).toBe("workspace-write");
  });

  test("a bad server option or config is one line and exit 2 before it serves", async () => {
    const { w, env } = workspace({ rules: [{ match: [], decision: "allow" }] });
    const bad = await runCli(["mcp"], { cwd: w, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`Invalid config ${join(w, "codex.orchestrator.json")}: /rules/0/match: expected at least one word\n`);
    const policy = await runCli(["mcp", "--approval-policy", "sometimes"], { cwd: w, env });
    expect(policy.code).toBe(2);
    expect(policy.stderr).toContain("Invalid value for --approval-policy: sometimes");
  });

  test("malformed requests get JSON-RPC errors and the server keeps serving", async () => {
    const { client } = await open();
    const bad = await client.callTool({ name: "exec", arguments: { command: 42 } }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(McpError);
    expect((bad as McpError).code).toBe(ErrorCode.InvalidParams);
    expect((bad as McpError).message).toContain("Invalid arguments for tool exec: /command:");
    const typo = await client.callTool({ name: "exec", arguments: { command: ["true"], yeild_ms: 5 } }).catch((e: unknown) => e);
    expect((typo as McpError).code).toBe(ErrorCode.InvalidParams);
    const unknown = await client.callTool({ name: "rm_rf", arguments: {} }).catch((e: unknown) => e);
    expect((unknown as McpError).message).toContain("Unknown tool: rm_rf");
    expect((await call(client, "exec", { command: ["true"] })).s.exit_code).toBe(0);
  });

  test("raw stdio: a line that is not JSON or not JSON-RPC is answered with an error, then the server serves on", async () => {
    const { w, env } = workspace();
    const proc = Bun.spawn([CLI, "mcp"], { cwd: w, env: cliEnv(env), stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    const reader = proc.stdout.getReader();
    let buffered = "";
    const nextLine = async (): Promise<Json> => {
      for (;;) {
        const nl = buffered.indexOf("\n");
        if (nl !== -1) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          return JSON.parse(line);
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("stdout closed");
        buffered += new TextDecoder().decode(value);
      }
    };
    proc.stdin.write("this is not json\n");
    expect(await nextLine()).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32700 } });
    proc.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 7, params: {} })}\n`);
    expect(await nextLine()).toMatchObject({ id: 7, error: { code: -32600 } });
    proc.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 8, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } })}\n`);
    expect(await nextLine()).toMatchObject({ id: 8, result: { serverInfo: { name: "codex-orchestrator" } } });
    proc.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 9, method: "no/such/method" })}\n`);
    expect(await nextLine()).toMatchObject({ id: 9, error: { code: -32601 } });
    proc.stdin.end();
    expect(await proc.exited).toBe(0);
  });

  test("8 concurrent calls: 8 runs, each a valid manifest", async () => {
    const { client } = await open();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => call(client, "exec", { command: ["sh", "-c", `echo call-${i}`] })));
    expect(results.map((r) => r.s.output)).toEqual(Array.from({ length: 8 }, (_, i) => `call-${i}\n`));
    expect(new Set(results.map((r) => r.s.run_id)).size).toBe(8);
    for (const r of results) expect((readValidManifest(r.s.manifest) as Json).status).toBe("succeeded");
  });

  test("start with progress notifications, status, plan, and resume of a failed run", async () => {
    const { client, w } = await open({
      pipelines: [
        {
          id: "build",
          title: "Build",
          stages: [
            { kind: "command", id: "one", title: "One", command: "echo one" },
            { kind: "command", id: "two", title: "Two", command: "test -f fixed" },
          ],
        },
      ],
    });
    const plan = await call(client, "plan", { pipeline: "build" });
    expect(plan.s.stages.map((s: Json) => s.id)).toEqual(["one", "two"]);
    const progress: Json[] = [];
    const started = (await client.callTool({ name: "start", arguments: { pipeline: "build" } }, undefined, { onprogress: (p) => progress.push(p), timeout: 120_000 })) as Json;
    expect(started.structuredContent).toMatchObject({ status: "failed", exit_code: 1 });
    expect(started.structuredContent.failure.stages).toEqual(["Two"]);
    expect(progress.map((p) => p.message)).toEqual(["stage 1 One started", "stage 1 One succeeded", "stage 2 Two started", "stage 2 Two failed"]);
    expect(progress.at(-1)).toMatchObject({ progress: 2, total: 2 });
    const runId = started.structuredContent.run_id;
    readValidManifest(started.structuredContent.manifest);
    const status = await call(client, "status", {});
    expect(status.s).toMatchObject({ run_id: runId, status: "failed" });
    writeFileSync(join(w, "fixed"), "");
    const resumed = await call(client, "resume", { run_id: runId });
    expect(resumed.s).toMatchObject({ run_id: runId, status: "succeeded", exit_code: 0 });
    const m = readValidManifest(resumed.s.manifest) as Json;
    expect(m.resume_events.at(-1)).toMatchObject({ actor: "mcp", outcome: "accepted" });
    const missing = await call(client, "status", { run_id: "2020-01-01T00-00-00-000Z-deadbeef" });
    expect(missing.isError).toBe(true);
  });

  test("closing the client cancels the server's running commands and records them", async () => {
    const { client, close } = await open();
    const r = await call(client, "exec", { command: ["sleep", "60"], yield_ms: 50 });
    expect(r.s.status).toBe("running");
    await close();
    const m = await waitFor(() => {
      const doc = readValidManifest(r.s.manifest) as Json;
      return doc.status === "in_progress" ? null : doc;
    });
    expect(m).toMatchObject({ status: "cancelled", status_detail: "cancelled:SIGTERM" });
    void client;
  });
});
