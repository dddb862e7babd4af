// The autonomy layer through the compiled `exec` (SPEC §16, issue 4): approval policies against the real global
// cache (a private XDG_STATE_HOME), the prompt on a real PTY, real bubblewrap denials and escalation with retries,
// and the honest `unsandboxed` state without a backend.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, cliEnv, jsonLines, runCli, scratchDir } from "../helpers/cli.ts";
import { manifestOf } from "../helpers/runs.ts";
import { startOtlpReceiver } from "../helpers/otlp-receiver.ts";
import { needsProgram } from "../helpers/needs-program.ts";
import { DOWN, onTerminal } from "../helpers/terminal.ts";

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON under test is walked freely
type Json = Record<string, any>;


/** A workspace and a private approval cache (XDG_STATE_HOME) shared by the runs of one test. */
function setup(): { w: string; env: Record<string, string> } {
  const root = scratchDir("co-e2e-autonomy-");
  const w = join(root, "ws");
  mkdirSync(w);
  writeFileSync(join(w, "AGENTS.md"), "# Root\nBe kind.\n");
  return { w, env: { XDG_STATE_HOME: join(root, "state"), XDG_CONFIG_HOME: join(root, "config"), HOME: root, TMPDIR: "/tmp" } };
}

/** Directories outside the scratch root (/var/tmp: outside /tmp, which a sandbox may leave writable). */
const outsideDirs: string[] = [];
afterAll(() => {
  for (const d of outsideDirs) rmSync(d, { recursive: true, force: true });
});

const grantLine = (key: string) => `codex-orchestrator approvals grant ${key}`;
const keyFrom = (text: string): string => {
  const match = /approvals grant ([0-9a-f]{16})/.exec(text);
  if (match === null) throw new Error(`no grant command in: ${text}`);
  return match[1] as string;
};

/** Runs the CLI with stdin a pipe that is never written to nor closed: a prompt would wait on it forever. */
async function runWithOpenStdin(args: string[], cwd: string, env: Record<string, string>) {
  const proc = Bun.spawn([CLI, ...args], { cwd, env: cliEnv(env), stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const killer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(killer);
  proc.stdin.end();
  return { code, signal: proc.signalCode, stdout, stderr };
}

describe("approval through exec", () => {
  test("never + --require-approval: fails at once naming the key; after `approvals grant` it runs from the cache", async () => {
    const { w, env } = setup();
    const args = ["exec", "--approval-policy", "never", "--require-approval", "--", "sh", "-c", "echo ran > marker"];
    const denied = await runWithOpenStdin(args, w, env);
    expect(denied.signal).toBeNull(); // not killed by the test's guard: it did not wait for stdin
    expect(denied.code).toBe(1);
    const key = keyFrom(denied.stderr);
    expect(denied.stderr).toBe(
      `Approval required for cli:command but approval policy forbids new prompts. Approval key ${key}; grant it with: ${grantLine(key)}\n`,
    );
    expect(existsSync(join(w, "marker"))).toBe(false);
    const events = jsonLines(denied.stdout);
    expect(events.map((e) => e.type)).toEqual(["run:summary"]); // nothing ran: no exec:begin
    const summary = events[0] as Json;
    expect(summary.payload.status).toBe("failed");
    const m = manifestOf(w, summary);
    expect(m.status).toBe("failed");
    expect(m.status_detail).toBe("exec-failed");
    expect(m.approval_policy).toBe("never");
    expect(m.commands[0].status).toBe("failed");
    expect(m.summary).toContain(key);
    expect(m.metrics_recorded).toBe(true);

    const grant = await runCli(["approvals", "grant", key], { cwd: w, env });
    expect(grant).toMatchObject({ code: 0, stdout: `Granted approval ${key}.\n` });

    const allowed = await runWithOpenStdin(args, w, env);
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toBe("");
    expect(readFileSync(join(w, "marker"), "utf8")).toBe("ran\n");
    const ok = jsonLines(allowed.stdout).at(-1) as Json;
    expect(ok.payload.status).toBe("succeeded");
    expect(ok.payload.toolRun.approvalSource).toBe("cache");
    expect(ok.payload.metrics.approvalReuse).toBe(1);
    const m2 = manifestOf(w, ok);
    expect(m2.toolRuns).toHaveLength(1);
    expect(m2.toolRuns[0]).toMatchObject({ approvalSource: "cache", attemptCount: 1, retryCount: 0, status: "succeeded" });
    expect(m2.toolRuns[0].metadata).toMatchObject({ approvalPolicy: "never", approvalKey: key });
    expect(m2.metrics.approvalReuse).toBe(1);
  });

  test("no terminal and no grant (default policy): fails at once with the key and the grant command", async () => {
    const { w, env } = setup();
    const run = await runWithOpenStdin(["exec", "--require-approval", "--", "true"], w, env);
    expect(run.code).toBe(1);
    const key = keyFrom(run.stderr);
    expect(run.stderr).toBe(
      `Approval required for cli:command but no approval prompter is available. Approval key ${key}; grant it with: ${grantLine(key)}\n`,
    );
  });

  test("an approval grant's description never reaches events, logs or spans; only the key does", async () => {
    const { w, env } = setup();
    const secret = "token=s3cr3t-approval-value";
    const args = ["exec", "--approval-policy", "never", "--require-approval", "--", "true"];
    const key = keyFrom((await runCli(args, { cwd: w, env })).stderr);
    expect((await runCli(["approvals", "grant", key, `--description=${secret}`], { cwd: w, env })).code).toBe(0);
    const receiver = await startOtlpReceiver();
    try {
      const run = await runCli([...args.slice(0, 1), "--otel-endpoint", receiver.base, ...args.slice(1)], { cwd: w, env });
      expect(run.code).toBe(0);
      const summary = jsonLines(run.stdout).at(-1) as Json;
      expect(summary.payload.toolRun.approvalSource).toBe("cache");
      const runDir = join(w, summary.payload.run.artifactRoot);
      const files = [
        "manifest.json",
        "runner.ndjson",
        "run-summary.json",
        ...readdirSync(join(runDir, "commands")).map((f) => `commands/${f}`),
      ];
      const texts = [run.stdout, run.stderr, ...files.map((f) => readFileSync(join(runDir, f), "utf8"))];
      for (const text of texts) expect(text).not.toContain("s3cr3t");
      const spans = Buffer.concat(receiver.requests.map((r) => r.body)).toString("latin1");
      expect(receiver.requests.length).toBeGreaterThan(0);
      expect(spans).not.toContain("s3cr3t");
      expect(readFileSync(join(runDir, "manifest.json"), "utf8")).toContain(key);
    } finally {
      await receiver.close();
    }
  });
});

describe("on-request prompt on a real terminal", () => {
  test("approve always: the command runs, the grant is cached, and the next run uses it without asking", async () => {
    const { w, env } = setup();
    const args = ["exec", "--json", "compact", "--approval-policy", "on-request", "--require-approval", "--", "sh", "-c", "echo ran >> marker"];
    const first = await onTerminal(args, w, env, [DOWN]);
    expect(first.prompted).toBe(true);
    expect(first.output).toContain("Approve always");
    expect(first.code).toBe(0);
    expect(first.summary?.payload.toolRun.approvalSource).toBe("prompt");
    expect(readFileSync(join(w, "marker"), "utf8")).toBe("ran\n");

    const list = await runCli(["approvals", "list", "--format", "json"], { cwd: w, env });
    const grants = JSON.parse(list.stdout) as Json[];
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({ source: "prompt" });
    expect(first.output).toContain(`key ${grants[0]?.key}`);

    // The same command on the terminal again: no prompt, from the cache.
    const second = await onTerminal(args, w, env, []);
    expect(second.prompted).toBe(false);
    expect(second.code).toBe(0);
    expect(second.summary?.payload.toolRun.approvalSource).toBe("cache");
    expect(readFileSync(join(w, "marker"), "utf8")).toBe("ran\nran\n");
  });

  test("never does not prompt even on a terminal", async () => {
    const { w, env } = setup();
    const args = ["exec", "--json", "compact", "--approval-policy", "never", "--require-approval", "--", "sh", "-c", "echo ran > marker"];
    const run = await onTerminal(args, w, env, []);
    expect(run.prompted).toBe(false);
    expect(run.code).toBe(1);
    expect(run.output).toContain("approval policy forbids new prompts");
    expect(existsSync(join(w, "marker"))).toBe(false);
  });

  test("deny: nothing runs, exit 1, nothing cached", async () => {
    const { w, env } = setup();
    const args = ["exec", "--json", "compact", "--require-approval", "--", "sh", "-c", "echo ran > marker"];
    const run = await onTerminal(args, w, env, [DOWN, DOWN]);
    expect(run.prompted).toBe(true);
    expect(run.code).toBe(1);
    expect(run.output).toContain("Approval denied for cli:command. Approval key ");
    expect(existsSync(join(w, "marker"))).toBe(false);
    expect((await runCli(["approvals", "list"], { cwd: w, env })).stdout).toBe("No approvals granted.\n");
  });
});

const bwrap = needsProgram("bwrap", "apt-get install bubblewrap");

/** The bubblewrap backend chosen explicitly (auto picks Landlock on a kernel that has it). */
function setupBwrap(): ReturnType<typeof setup> {
  const s = setup();
  s.env.CODEX_ORCHESTRATOR_SANDBOX_BACKEND = "bwrap";
  return s;
}

bwrap.describe("real bubblewrap sandbox", () => {
  test("workspace-write: a write outside the workspace is denied, with the escalation grant command", async () => {
    const { w, env } = setupBwrap();
    const target = "/etc/co-test";
    expect(existsSync(target)).toBe(false);
    const run = await runCli(["exec", "--json", "compact", "--sandbox", "workspace-write", "--", "sh", "-c", `touch ${target}`], {
      cwd: w,
      env,
    });
    expect(run.code).toBe(1);
    expect(existsSync(target)).toBe(false);
    const summary = JSON.parse(run.stdout) as Json;
    expect(summary.payload.outputs.stderr).toContain("Read-only file system");
    expect(summary.payload.result).toMatchObject({ sandboxState: "sandboxed", attempts: 1, status: "failed" });
    expect(summary.payload.command.sandboxMode).toBe("workspace-write");
    const key = keyFrom(run.stderr);
    expect(run.stderr).toBe(
      `[Codex-Orchestrator] The workspace-write sandbox denied the command (Read-only file system); to let it run without the sandbox: ${grantLine(key)}\n`,
    );
    const m = manifestOf(w, summary);
    expect(m.toolRuns[0]).toMatchObject({ sandboxState: "sandboxed", retryCount: 0, attemptCount: 1, status: "failed" });
    const artifact = JSON.parse(readFileSync(join(w, m.commands[0].error_file), "utf8"));
    expect(artifact.details.sandbox_state).toBe("sandboxed");
  });

  test("workspace-write: a write inside the workspace succeeds, sandboxed", async () => {
    const { w, env } = setupBwrap();
    const run = await runCli(["exec", "--sandbox", "workspace-write", "--", "sh", "-c", "echo $CODEX_ORCHESTRATOR_SANDBOX > inside.txt"], {
      cwd: w,
      env,
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(readFileSync(join(w, "inside.txt"), "utf8")).toBe("workspace-write\n");
    const events = jsonLines(run.stdout);
    expect(events[0]?.payload.sandboxState).toBe("sandboxed");
    const summary = events.at(-1) as Json;
    expect(summary.payload.result.sandboxState).toBe("sandboxed");
    expect(summary.payload.toolRun.sandboxState).toBe("sandboxed");
    expect(manifestOf(w, summary).toolRuns[0].metadata.sandboxMode).toBe("workspace-write");
  });

  test("read-only: even the workspace is not writable", async () => {
    const { w, env } = setupBwrap();
    const run = await runCli(["exec", "--json", "compact", "--sandbox", "read-only", "--", "sh", "-c", "echo x > inside.txt"], {
      cwd: w,
      env,
    });
    expect(run.code).not.toBe(0);
    expect(existsSync(join(w, "inside.txt"))).toBe(false);
    expect(JSON.parse(run.stdout).payload.result.sandboxState).toBe("sandboxed");
  });

  test("a denied command with a cached escalation grant is retried escalated (events, record, spans)", async () => {
    const { w, env } = setupBwrap();
    // Outside the workspace, /tmp and $TMPDIR: read-only inside the sandbox, writable outside it.
    const outside = mkdtempSync("/var/tmp/co-e2e-escalate-");
    outsideDirs.push(outside);
    const args = ["exec", "--sandbox", "workspace-write", "--", "sh", "-c", `echo escaped > ${outside}/out.txt`];
    const denied = await runCli(args, { cwd: w, env });
    expect(denied.code).not.toBe(0);
    expect(existsSync(join(outside, "out.txt"))).toBe(false);
    const key = keyFrom(denied.stderr);
    expect((await runCli(["approvals", "grant", key], { cwd: w, env })).code).toBe(0);

    const receiver = await startOtlpReceiver();
    try {
      const run = await runCli([args[0] as string, "--otel-endpoint", receiver.base, ...args.slice(1)], { cwd: w, env });
      expect(run.code).toBe(0);
      expect(readFileSync(join(outside, "out.txt"), "utf8")).toBe("escaped\n");
      const events = jsonLines(run.stdout);
      const kinds = events.filter((e) => e.type !== "exec:chunk").map((e) => [e.type, e.payload.attempt ?? null, e.payload.sandboxState ?? null]);
      expect(kinds).toEqual([
        ["exec:begin", 1, "sandboxed"],
        ["exec:end", 1, "sandboxed"],
        ["exec:retry", 1, "sandboxed"],
        ["exec:begin", 2, "escalated"],
        ["exec:end", 2, "escalated"],
        ["run:summary", null, null],
      ]);
      const retry = events.find((e) => e.type === "exec:retry") as Json;
      expect(retry.payload.delayMs).toBe(250);
      expect(retry.payload.errorMessage).toContain("Read-only file system");
      const correlation = new Set(events.filter((e) => e.type.startsWith("exec:")).map((e) => e.payload.correlationId));
      expect(correlation.size).toBe(1);

      const summary = events.at(-1) as Json;
      expect(summary.payload.result).toMatchObject({ attempts: 2, sandboxState: "escalated", status: "succeeded", exitCode: 0 });
      expect(summary.payload.toolRun.events.some((e: Json) => e.type === "exec:retry")).toBe(true);
      const m = manifestOf(w, summary);
      expect(m.status).toBe("succeeded");
      expect(m.toolRuns[0]).toMatchObject({
        retryCount: 1,
        attemptCount: 2,
        sandboxState: "escalated",
        approvalSource: "cache",
        status: "succeeded",
      });
      expect(m.toolRuns[0].metadata.escalationKey).toBe(key);
      // The backend of the last attempt (issue 15): the escalated retry ran unconfined.
      expect(m.toolRuns[0].sandboxBackend).toBeNull();
      expect(m.metrics.approvalReuse).toBe(1);
      const runnerLog = readFileSync(join(w, m.log_path), "utf8");
      expect(runnerLog).toContain('"type":"exec:retry"');

      // The retry is a span event on the stage span; one exec span per attempt.
      const spans = receiver.spans();
      const stage = spans.find((s) => s.name === "stage exec");
      expect(stage?.events.map((e) => [e.name, e.attributes.attempt, e.attributes.delay_ms])).toEqual([["retry", 1, 250]]);
      const execs = spans.filter((s) => s.name === "exec").sort((a, b) => Number(a.startTimeUnixNano - b.startTimeUnixNano));
      expect(execs.map((s) => [s.attributes["codex_orchestrator.retry_count"], s.attributes["codex_orchestrator.sandbox_state"]])).toEqual([
        [0, "sandboxed"],
        [1, "escalated"],
      ]);
    } finally {
      await receiver.close();
    }
  });

  test("on-failure on a terminal asks before escalating; 'approve once' retries escalated and caches nothing", async () => {
    const { w, env } = setupBwrap();
    const outside = mkdtempSync("/var/tmp/co-e2e-escalate-");
    outsideDirs.push(outside);
    const args = ["exec", "--json", "compact", "--approval-policy", "on-failure", "--sandbox", "workspace-write", "--"];
    const run = await onTerminal([...args, "sh", "-c", `echo escaped > ${outside}/out.txt`], w, env, []);
    expect(run.prompted).toBe(true);
    expect(run.output).toContain("sandbox denied");
    expect(run.code).toBe(0);
    expect(readFileSync(join(outside, "out.txt"), "utf8")).toBe("escaped\n");
    expect(run.summary?.payload.result).toMatchObject({ attempts: 2, sandboxState: "escalated" });
    expect(run.summary?.payload.toolRun).toMatchObject({ approvalSource: "prompt", retryCount: 1 });
    expect((await runCli(["approvals", "list"], { cwd: w, env })).stdout).toBe("No approvals granted.\n");
  });
});

function userConfig(env: Record<string, string>, config: Json | string): void {
  const dir = join(env.XDG_CONFIG_HOME as string, "codex-orchestrator");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "config.json"), typeof config === "string" ? config : JSON.stringify(config));
}

describe("where the policy and the sandbox mode come from", () => {
  test("user-global approvalPolicy applies; the repository config beats it; --approval-policy beats both", async () => {
    const { w, env } = setup();
    userConfig(env, { approvalPolicy: "never" });
    const args = ["exec", "--json", "compact", "--require-approval", "--", "true"];
    const user = await runCli(args, { cwd: w, env });
    expect(user.code).toBe(1);
    expect(user.stderr).toContain("approval policy forbids new prompts");
    expect(manifestOf(w, JSON.parse(user.stdout)).approval_policy).toBe("never");

    writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify({ approvalPolicy: "on-failure" }));
    const repo = await runCli(args, { cwd: w, env });
    expect(repo.stderr).toContain("no approval prompter is available");
    expect(manifestOf(w, JSON.parse(repo.stdout)).approval_policy).toBe("on-failure");

    const cli = await runCli(["exec", "--json", "compact", "--approval-policy=never", "--require-approval", "--", "true"], { cwd: w, env });
    expect(cli.stderr).toContain("approval policy forbids new prompts");
    expect(manifestOf(w, JSON.parse(cli.stdout)).approval_policy).toBe("never");
  });

  test("user-global sandboxMode sandboxes exec unless --sandbox says otherwise", async () => {
    const { w, env } = setup();
    userConfig(env, { sandboxMode: "read-only" });
    const sandboxed = await runCli(["exec", "--json", "compact", "--", "sh", "-c", "echo x > inside.txt"], { cwd: w, env });
    expect(sandboxed.code).not.toBe(0);
    expect(existsSync(join(w, "inside.txt"))).toBe(false);
    const p = JSON.parse(sandboxed.stdout).payload;
    expect([p.command.sandboxMode, p.result.sandboxState]).toEqual(["read-only", "sandboxed"]);

    const flag = await runCli(["exec", "--json", "compact", "--sandbox", "workspace-write", "--", "sh", "-c", "echo x > inside.txt"], {
      cwd: w,
      env,
    });
    expect(flag.code).toBe(0);
    expect(JSON.parse(flag.stdout).payload.command.sandboxMode).toBe("workspace-write");
  });

  test("bad policy values exit 2 before a run is created", async () => {
    const { w, env } = setup();
    const bad = await runCli(["exec", "--approval-policy", "bogus", "--", "true"], { cwd: w, env });
    expect(bad).toMatchObject({
      code: 2,
      stdout: "",
      stderr: "Invalid value for --approval-policy: bogus (expected untrusted, on-failure, on-request or never).\n",
    });
    userConfig(env, { approvalPolicy: "sometimes" });
    const broken = await runCli(["exec", "--", "true"], { cwd: w, env });
    const path = join(env.XDG_CONFIG_HOME as string, "codex-orchestrator", "config.json");
    expect(broken.code).toBe(2);
    expect(broken.stderr).toBe(`Invalid config ${path}: /approvalPolicy: expected untrusted, on-failure, on-request or never\n`);
    expect(existsSync(join(w, ".runs"))).toBe(false);
  });
});

describe("no sandbox backend: fail closed (issue 15)", () => {
  /** No bwrap on PATH (an empty directory) and Landlock forced off: nothing can enforce a sandbox. */
  function nothingAvailable(w: string, env: Record<string, string>) {
    const emptyBin = join(w, "..", "empty-bin");
    mkdirSync(emptyBin, { recursive: true });
    return { ...env, PATH: emptyBin, CODEX_ORCHESTRATOR_TEST_NO_LANDLOCK: "1" };
  }

  test("a sandbox that cannot be enforced runs nothing: one line, exit 1, recorded unavailable", async () => {
    const { w, env } = setup();
    const run = await runCli(["exec", "--sandbox", "workspace-write", "--", "/bin/sh", "-c", "echo x > inside.txt"], {
      cwd: w,
      env: nothingAvailable(w, env),
    });
    expect(run.code).toBe(1);
    expect(existsSync(join(w, "inside.txt"))).toBe(false);
    expect(run.stderr).toBe(
      "Sandbox workspace-write cannot be enforced: no sandbox backend: Landlock is not available (disabled by " +
        "CODEX_ORCHESTRATOR_TEST_NO_LANDLOCK=1); bubblewrap (bwrap) not found on PATH. Nothing was run; " +
        "--sandbox-fallback unsandboxed runs it without a sandbox.\n",
    );
    const events = jsonLines(run.stdout);
    expect(events.map((e) => e.type)).toEqual(["run:summary"]);
    const summary = events[0] as Json;
    expect(summary.payload.status).toBe("failed");
    expect(summary.payload.result).toMatchObject({ sandboxState: "unavailable", sandboxBackend: null, exitCode: 1 });
    expect(summary.payload.result.sandboxReason).toContain("bubblewrap (bwrap) not found on PATH");
    expect(summary.payload.toolRun).toBeNull();
    const m = manifestOf(w, summary);
    expect(m.status).toBe("failed");
    expect(m.commands[0].sandbox).toMatchObject({ mode: "workspace-write", state: "unavailable", backend: null });
    const artifact = JSON.parse(readFileSync(join(w, m.commands[0].error_file), "utf8"));
    expect(artifact).toMatchObject({ reason: "sandbox-unavailable", details: { sandbox_state: "unavailable" } });
  });

  test("--quiet keeps that line: it is the run's error, not a warning", async () => {
    const { w, env } = setup();
    const run = await runCli(["exec", "--quiet", "--sandbox", "read-only", "--", "/bin/sh", "-c", "true"], {
      cwd: w,
      env: nothingAvailable(w, env),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toStartWith("Sandbox read-only cannot be enforced: ");
    expect(run.stderr.split("\n")).toHaveLength(2);
  });

  test("--sandbox-fallback unsandboxed runs it anyway, says so, and records why", async () => {
    const { w, env } = setup();
    const run = await runCli(
      ["exec", "--sandbox", "workspace-write", "--sandbox-fallback", "unsandboxed", "--", "/bin/sh", "-c", "echo x > inside.txt"],
      { cwd: w, env: nothingAvailable(w, env) },
    );
    expect(run.code).toBe(0);
    expect(readFileSync(join(w, "inside.txt"), "utf8")).toBe("x\n");
    expect(run.stderr).toStartWith("[Codex-Orchestrator] Sandbox workspace-write not enforced (no sandbox backend: ");
    expect(run.stderr).toEndWith("the command runs unsandboxed as --sandbox-fallback unsandboxed asks.\n");
    const events = jsonLines(run.stdout);
    expect(events[0]?.payload).toMatchObject({ sandboxState: "unsandboxed", sandboxBackend: null });
    const summary = events.at(-1) as Json;
    expect(summary.payload.result.sandboxState).toBe("unsandboxed");
    expect(summary.payload.result.sandboxReason).toContain("run unsandboxed (--sandbox-fallback unsandboxed)");
    expect(summary.payload.toolRun.sandboxReason).toBe(summary.payload.result.sandboxReason);
    const m = manifestOf(w, summary);
    expect(m.toolRuns[0]).toMatchObject({ sandboxState: "unsandboxed", sandboxReason: summary.payload.result.sandboxReason });
    expect(m.commands[0].sandbox).toMatchObject({ state: "unsandboxed", reason: summary.payload.result.sandboxReason });
  });

  test("the fallback also comes from the environment and the config; a bad value exits 2", async () => {
    const { w, env } = setup();
    const bare = nothingAvailable(w, env);
    const args = ["exec", "--json", "compact", "--sandbox", "read-only", "--", "/bin/sh", "-c", "true"];
    const fromEnv = await runCli(args, { cwd: w, env: { ...bare, CODEX_ORCHESTRATOR_SANDBOX_FALLBACK: "unsandboxed" } });
    expect(fromEnv.code).toBe(0);
    writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify({ sandboxFallback: "unsandboxed" }));
    const fromConfig = await runCli(args, { cwd: w, env: bare });
    expect(fromConfig.code).toBe(0);
    expect(JSON.parse(fromConfig.stdout).payload.result.sandboxState).toBe("unsandboxed");
    // The flag beats the config.
    const flag = await runCli([...args.slice(0, 3), "--sandbox-fallback", "fail", ...args.slice(3)], { cwd: w, env: bare });
    expect(flag.code).toBe(1);
    const bad = await runCli(["exec", "--sandbox-fallback", "maybe", "--", "true"], { cwd: w, env: bare });
    expect(bad).toMatchObject({ code: 2, stderr: "Invalid value for --sandbox-fallback: maybe (expected fail or unsandboxed).\n" });
    const badEnv = await runCli(["exec", "--", "true"], { cwd: w, env: { ...bare, CODEX_ORCHESTRATOR_SANDBOX_BACKEND: "docker" } });
    expect(badEnv).toMatchObject({
      code: 2,
      stderr: "Invalid value for CODEX_ORCHESTRATOR_SANDBOX_BACKEND: docker (expected auto, landlock, bwrap or seatbelt).\n",
    });
  });
});
