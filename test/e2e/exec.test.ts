import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { EventEnvelope, RunSummaryPayload } from "../../src/core/schemas/events.ts";
import { ErrorArtifact, MetricsLine } from "../../src/core/schemas/records.ts";
import { CLI, cliEnv, jsonLines as lines, runCli } from "../helpers/cli.ts";
import { cmdline, descendants, isAlive } from "../helpers/processes.ts";
import { manifestOf, runIds } from "../helpers/runs.ts";
import { waitFor } from "../helpers/wait.ts";
import { workspace as scratchWorkspace } from "../helpers/workspace.ts";

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON under test is walked freely
type Json = Record<string, any>;

const workspace = () => scratchWorkspace(undefined, "co-exec-");

describe("exec JSONL (SPEC §23 check 22)", () => {
  test("events, summary, manifest and artifacts of a failing command", async () => {
    const w = workspace();
    const r = await runCli(["exec", "--", "sh", "-c", "echo hello; echo oops >&2; exit 7"], { cwd: w });
    expect(r.code).toBe(7);
    expect(r.stderr).toBe("");
    const events = lines(r.stdout);
    expect(events.map((e) => e.type)).toEqual(["exec:begin", "exec:chunk", "exec:chunk", "exec:end", "run:summary"]);
    events.forEach((e, i) => {
      expect(v.safeParse(EventEnvelope, e).success).toBe(true);
      expect(e.v).toBe(1);
      expect(e.seq).toBe(i + 1);
      expect(Object.keys(e)).toEqual(["type", "timestamp", "v", "seq", "payload"]);
      expect(Object.keys(e.payload).at(-1)).toBe("runId");
    });
    const runIds = new Set(events.map((e) => e.payload.runId));
    expect(runIds.size).toBe(1);
    const [begin, c1, c2, end, summary] = events as [Json, Json, Json, Json, Json];
    expect(begin.payload.command).toBe("sh -c 'echo hello; echo oops >&2; exit 7'");
    expect(begin.payload.args).toEqual([]);
    expect(begin.payload.argv).toEqual(["sh", "-c", "echo hello; echo oops >&2; exit 7"]);
    expect(begin.payload.cwd).toBe(w);
    expect([c1.payload.sequence, c2.payload.sequence]).toEqual([1, 2]);
    expect(end.payload).toMatchObject({ exitCode: 7, status: "failed", stdout: "hello\n", stderr: "oops\n" });
    expect(v.safeParse(RunSummaryPayload, summary.payload).success).toBe(true);
    const p = summary.payload;
    expect(p.status).toBe("failed");
    expect(p.run.pipelineId).toBe("exec");
    expect(p.run.summary).toBe("Exited with code 7 — oops");
    expect(p.result.attempts).toBe(1);
    expect(p.command.argv).toEqual(["sh", "-c", "echo hello; echo oops >&2; exit 7"]);
    expect(p.toolRun.tool).toBe("cli:command");
    expect(p.toolRun.approvalSource).toBe("not-required");
    expect(p.logs.command.endsWith("/commands/01-exec.ndjson")).toBe(true);
    const runId = p.run.id as string;
    const m = manifestOf(w, runId);
    expect(m.status_detail).toBe("exec-failed");
    expect(m.task_slug).toBeNull();
    expect(m.summary).toBe("Exited with code 7 — oops");
    expect(m.metrics_recorded).toBe(true);
    expect(m.run_summary_path).toBe(`.runs/t1/cli/${runId}/run-summary.json`);
    const artifact = JSON.parse(readFileSync(join(w, ".runs/t1/cli", runId, "errors/01-exec.json"), "utf8"));
    expect(v.safeParse(ErrorArtifact, artifact).success).toBe(true);
    expect(artifact.reason).toBe("command-failed");
    // The run-summary.json is the printed event.
    expect(JSON.parse(readFileSync(join(w, ".runs/t1/cli", runId, "run-summary.json"), "utf8"))).toEqual(summary);
    const metrics = readFileSync(join(w, ".runs/t1/metrics.json"), "utf8").trim().split("\n");
    expect(metrics).toHaveLength(1);
    expect(v.safeParse(MetricsLine, JSON.parse(metrics[0] as string)).success).toBe(true);
    // Log lines in §9.7 order, each with timestamp and index.
    const log = readFileSync(join(w, ".runs/t1/cli", runId, "commands/01-exec.ndjson"), "utf8");
    const types = lines(log).map((l) => l.type);
    expect(types).toEqual(["command:start", "exec:begin", "exec:chunk", "exec:chunk", "exec:end", "command:end"]);
    // One copy of the output (issue 22.12): runner.ndjson has every line but the chunks.
    const runner = readFileSync(join(w, ".runs/t1/cli", runId, "runner.ndjson"), "utf8");
    expect(runner).toBe(log.split("\n").filter((l) => !l.includes('"type":"exec:chunk"')).join("\n"));
  });

  test("--json pretty and compact (check 23)", async () => {
    const w = workspace();
    const r = await runCli(["exec", "--json", "--", "echo", "a b", "it's", "x=1"], { cwd: w });
    expect(r.code).toBe(0);
    const event = JSON.parse(r.stdout);
    expect(r.stdout).toContain('\n  "type": "run:summary"');
    expect(event.payload.command.shell).toBe("echo 'a b' 'it'\\''s' x=1");
    expect(event.payload.outputs.stdout).toBe("a b it's x=1\n");
    expect(event.seq).toBe(4);
    for (const flag of [["--json", "compact"], ["--json=compact"]]) {
      const c = await runCli(["exec", ...flag, "--", "echo", "hi"], { cwd: w });
      expect(c.stdout.trimEnd().split("\n")).toHaveLength(1);
      expect(JSON.parse(c.stdout).type).toBe("run:summary");
    }
  });

  test("signal death (check 26)", async () => {
    const w = workspace();
    const r = await runCli(["exec", "--json", "compact", "--", "sh", "-c", "kill -9 $$"], { cwd: w });
    expect(r.code).toBe(137);
    const p = JSON.parse(r.stdout).payload;
    expect(p.result.exitCode).toBeNull();
    expect(p.result.signal).toBe("SIGKILL");
    expect(p.run.summary).toBe("Terminated with signal SIGKILL");
    expect(manifestOf(w, p.run.id).commands[0]?.exit_code).toBe(137);
  });

  test("spawn failures are finalized, never left running (check 27)", async () => {
    const w = workspace();
    const r = await runCli(["exec", "--json", "compact", "--", "definitely-not-a-command-xyz"], { cwd: w });
    expect(r.code).toBe(127);
    const p = JSON.parse(r.stdout).payload;
    const m = manifestOf(w, p.run.id);
    expect(m.status).toBe("failed");
    expect(m.commands[0]).toMatchObject({ status: "failed", exit_code: 127, summary: "Execution error: command not found: definitely-not-a-command-xyz" });
    const artifact = JSON.parse(readFileSync(join(w, ".runs/t1/cli", p.run.id, "errors/01-exec.json"), "utf8"));
    expect(artifact.reason).toBe("spawn-failed");
    expect(r.stderr).toContain("command not found: definitely-not-a-command-xyz");

    const missing = await runCli(["exec", "--json", "compact", "--cwd", join(w, "missing"), "--", "true"], { cwd: w });
    expect(missing.code).toBe(1);
    const mm = manifestOf(w, JSON.parse(missing.stdout).payload.run.id);
    expect(mm.commands[0]?.status).toBe("failed");
    expect(mm.status).toBe("failed");
  });

  test("bounded output, chunk sizes and truncation (check 28)", async () => {
    const w = workspace();
    const r = await runCli(
      ["exec", "--jsonl", "--", "sh", "-c", "head -c 100000 /dev/zero | tr '\\0' a; head -c 70000 /dev/zero | tr '\\0' e >&2; exit 1"],
      { cwd: w },
    );
    expect(r.code).toBe(1);
    const events = lines(r.stdout);
    const chunks = events.filter((e) => e.type === "exec:chunk").map((e) => e.payload);
    for (const c of chunks) expect(c.bytes).toBeLessThanOrEqual(8192);
    const sum = (s: string) => chunks.filter((c) => c.stream === s).reduce((n, c) => n + c.bytes, 0);
    expect(sum("stdout")).toBe(100000);
    expect(sum("stderr")).toBe(70000);
    const end = events.find((e) => e.type === "exec:end")?.payload;
    const summary = events.at(-1)?.payload;
    expect(end.stdout).toHaveLength(65536);
    expect(summary.outputs.stdout).toHaveLength(65536);
    expect(summary.run.summary).toHaveLength(262);
    expect(summary.toolRun.eventsTruncated).toBe(true);
    const artifact = JSON.parse(readFileSync(join(w, ".runs/t1/cli", summary.run.id, "errors/01-exec.json"), "utf8"));
    expect(artifact.details.stdout_truncated).toBe(true);
    expect(artifact.details.stderr_truncated).toBe(true);
    expect(artifact.details.stderr).toHaveLength(8193);
    expect(artifact.details.stderr.endsWith("…")).toBe(true);
  });

  test("UTF-8 split across reads and binary output (check 30)", async () => {
    const w = workspace();
    const r = await runCli(["exec", "--jsonl", "--", "sh", "-c", "printf '\\342\\202'; sleep 0.2; printf '\\254\\n'"], { cwd: w });
    const chunks = lines(r.stdout).filter((e) => e.type === "exec:chunk").map((e) => e.payload);
    expect(chunks.map((c) => c.data).join("")).toBe("€\n");
    for (const c of chunks) expect(c.encoding).toBeUndefined();
    const b = await runCli(["exec", "--jsonl", "--", "printf", "\\377\\n"], { cwd: w });
    const bin = lines(b.stdout).filter((e) => e.type === "exec:chunk").map((e) => e.payload);
    expect(bin).toHaveLength(1);
    expect(bin[0]).toMatchObject({ encoding: "base64", data: "/wo=" });
  });

  test("--tty and --timeout (check 31)", async () => {
    const w = workspace();
    const t = await runCli(["exec", "--tty", "--json", "compact", "--", "tty"], { cwd: w });
    expect(t.code).toBe(0);
    const p = JSON.parse(t.stdout).payload;
    expect(p.outputs.stdout.startsWith("/dev/pts/")).toBe(true);
    expect(p.outputs.stderr).toBe("");
    expect(p.command.tty).toBe(true);
    const to = await runCli(["exec", "--timeout", "1", "--json", "compact", "--", "sleep", "10"], { cwd: w });
    expect(to.code).toBe(143);
    expect(JSON.parse(to.stdout).payload.result.timedOut).toBe(true);
  });

  test("--output-schema (check 32)", async () => {
    const w = workspace();
    writeFileSync(join(w, "s.json"), JSON.stringify({ type: "object", properties: { a: { type: "integer" } }, required: ["a"] }));
    const ok = await runCli(["exec", "--output-schema", "s.json", "--json", "compact", "--", "echo", '{"a":1}'], { cwd: w });
    expect(JSON.parse(ok.stdout).payload.outputs).toMatchObject({ structured: { a: 1 }, validationErrors: [] });
    const bad = await runCli(["exec", "--output-schema", "s.json", "--json", "compact", "--", "echo", '{"a":"x"}'], { cwd: w });
    const outputs = JSON.parse(bad.stdout).payload.outputs;
    expect(outputs.structured).toBeNull();
    expect(outputs.validationErrors).toHaveLength(1);
    expect(outputs.validationErrors[0].path).toBe("/a");
    const w2 = workspace();
    const missing = await runCli(["exec", "--output-schema", "nope.json", "--", "true"], { cwd: w2 });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toStartWith(`Invalid output schema ${join(w2, "nope.json")}:`);
    expect(existsSync(join(w2, ".runs"))).toBe(false);
  });

  test("interactive mode under a pseudo-terminal (check 25)", async () => {
    const w = workspace();
    const proc = Bun.spawn(["script", "-qec", `${CLI} exec -- sh -c 'echo out; exit 2'`, "/dev/null"], {
      cwd: w,
      env: cliEnv(),
      stdin: "ignore",
      stdout: "pipe",
    });
    const out = (await new Response(proc.stdout).text()).replace(/\r\n/g, "\n");
    expect(await proc.exited).toBe(2);
    const runId = readdirSync(join(w, ".runs/t1/cli"))[0] as string;
    expect(out).toBe(
      `$ sh -c 'echo out; exit 2'\nout\n\n${runId} FAILED\nManifest: .runs/t1/cli/${runId}/manifest.json\nLog: .runs/t1/cli/${runId}/runner.ndjson\n`,
    );
  });
});

describe("exec bad input (check 24 and issue 2)", () => {
  // Every row has three elements: a missing third would be taken for a `done` callback.
  const cases: [string[], string, Record<string, string>][] = [
    [["exec"], "exec requires a command to run.", {}],
    [["exec", "--json", "--jsonl", "echo"], "Cannot combine --jsonl with other output modes.", {}],
    [["exec", "--notify"], "--notify requires a target URI.", {}],
    [["exec", "ls", "--all"], "Unknown exec option: --all", {}],
    [["exec", "--notify", "ftp://x", "--", "true"], 'Invalid notification target "ftp://x" from --notify.', {}],
    [["exec", "--", "true"], 'Invalid task ID "../evil" from MCP_RUNNER_TASK_ID: must start with a letter or digit.', { MCP_RUNNER_TASK_ID: "../evil" }],
    [["exec", "--task", "../x", "--", "true"], 'Invalid task ID "../x" from --task: must start with a letter or digit.', {}],
    [["exec", "--json=x", "echo"], "Invalid value for --json: x (expected compact or pretty).", {}],
  ];
  test.each(cases)("%p", async (args, message, env) => {
    const w = workspace();
    const r = await runCli(args, { cwd: w, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${message}\n`);
    expect(existsSync(join(w, ".runs"))).toBe(false);
  });

  test("an unwritable runs directory is one clear line, exit 1, nothing half-written", async () => {
    // Root ignores directory permissions, so the runs path goes through a regular file instead.
    const w = workspace();
    writeFileSync(join(w, "blocker"), "a file, not a directory");
    const r = await runCli(["exec", "--", "true"], { cwd: w, env: { CODEX_ORCHESTRATOR_RUNS_DIR: join(w, "blocker/runs") } });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("Cannot write the run store under");
    expect(readdirSync(w).sort()).toEqual(["AGENTS.md", "blocker"]);
  });
});

describe("exec lifecycle", () => {
  test("SIGTERM cancels: exit 143, run:summary cancelled, manifest cancelled (check 21)", async () => {
    const w = workspace();
    const proc = Bun.spawn([CLI, "exec", "--", "sh", "-c", "sleep 30 & sleep 30"], { cwd: w, env: cliEnv(), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const out = new Response(proc.stdout).text();
    // The command runs once its shell and both sleeps are below the CLI.
    const command = await waitFor(() => {
      const below = descendants(proc.pid).filter((pid) => /^(sleep 30|sh -c sleep 30 & sleep 30)$/.test(cmdline(pid) ?? ""));
      return below.length === 3 ? below : null;
    });
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(143);
    const last = lines(await out).at(-1) as Json;
    expect(last.type).toBe("run:summary");
    expect(last.payload.status).toBe("cancelled");
    const m = manifestOf(w, last.payload.run.id);
    expect(m.status).toBe("cancelled");
    expect(m.status_detail).toBe("cancelled:SIGTERM");
    expect(m.commands[0]?.status).toBe("cancelled");
    // The command's whole group went with the CLI.
    expect(command.filter((pid) => isAlive(pid))).toEqual([]);
  });

  test("stdout closed early by the reader does not stop the run being recorded", async () => {
    const w = workspace();
    const proc = Bun.spawn(["sh", "-c", `${CLI} exec --jsonl -- sh -c 'head -c 3000000 /dev/zero | tr "\\0" a' | head -1`], {
      cwd: w,
      env: cliEnv(),
      stdout: "pipe",
      stderr: "pipe",
    });
    const first = await new Response(proc.stdout).text();
    await proc.exited;
    expect(JSON.parse(first).type).toBe("exec:begin");
    // The orchestrator finishes the run after its reader went away.
    const m = await waitFor(() => {
      const [runId] = runIds(w);
      const candidate = runId === undefined ? null : manifestOf(w, runId);
      return candidate?.metrics_recorded === true ? candidate : null;
    });
    expect(m.status).toBe("succeeded");
  });

  test("20 concurrent exec runs leave exactly 20 valid metrics lines (check 35)", async () => {
    const w = workspace();
    const results = await Promise.all(Array.from({ length: 20 }, () => runCli(["exec", "--json", "compact", "--", "true"], { cwd: w })));
    for (const r of results) expect(r.code).toBe(0);
    const metrics = readFileSync(join(w, ".runs/t1/metrics.json"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(metrics).toHaveLength(20);
    expect(new Set(metrics.map((m) => m.run_id)).size).toBe(20);
    for (const line of metrics) expect(v.safeParse(MetricsLine, line).success).toBe(true);
    expect(existsSync(join(w, ".runs/t1/metrics.json.lock"))).toBe(false);
  }, 120_000);

  test("50 MB of output reaches the command log in full (check 29, bytes)", async () => {
    const w = workspace();
    const r = await runCli(["exec", "--jsonl", "--", "sh", "-c", 'head -c 50000000 /dev/zero | tr "\\0" a'], { cwd: w });
    expect(r.code).toBe(0);
    const runId = readdirSync(join(w, ".runs/t1/cli"))[0] as string;
    const log = readFileSync(join(w, ".runs/t1/cli", runId, "commands/01-exec.ndjson"), "utf8");
    let total = 0;
    for (const line of log.split("\n")) {
      if (line.startsWith('{"type":"exec:chunk"')) total += JSON.parse(line).bytes;
    }
    expect(total).toBe(50_000_000);
  }, 120_000);

  test("exec writes a heartbeat while the command runs (check 17)", async () => {
    const w = workspace();
    // The command runs until the test has seen the heartbeat move on (every 5 s), then it is told to end (or for at
    // most ~30 s, should the test fail first).
    const waitForGo = "n=0; while [ ! -e go ] && [ $n -lt 600 ]; do sleep 0.05; n=$((n + 1)); done";
    const proc = Bun.spawn([CLI, "exec", "--", "sh", "-c", waitForGo], {
      cwd: w,
      env: cliEnv(),
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const hb = await waitFor(() => {
      const [runId] = runIds(w);
      const path = runId === undefined ? null : join(w, ".runs/t1/cli", runId, ".heartbeat");
      return path !== null && existsSync(path) ? path : null;
    });
    const first = readFileSync(hb, "utf8");
    const later = await waitFor(() => {
      const now = readFileSync(hb, "utf8");
      return now !== first && now;
    }, 20_000);
    expect(Date.parse(later.trim())).toBeGreaterThan(Date.parse(first.trim()));
    writeFileSync(join(w, "go"), "");
    await proc.exited;
    const runId = runIds(w)[0] as string;
    const m = manifestOf(w, runId);
    expect(readFileSync(hb, "utf8")).toBe(`${m.heartbeat_at}\n`);
  }, 30_000);
});

test("run ids and paths stay under the runs root for a --task", async () => {
  const w = workspace();
  const r = await runCli(["exec", "--task", "demo-Task.1", "--json", "compact", "--", "true"], { cwd: w });
  expect(r.code).toBe(0);
  expect(readdirSync(join(w, ".runs"))).toEqual(["demo-Task.1"]);
});

test("exec --session runs in one live shell across invocations (SPEC §14.7)", async () => {
  const w = workspace();
  const env = { CODEX_ORCHESTRATOR_SESSION_IDLE_MS: "60000" };
  try {
    expect((await runCli(["exec", "--session", "e2e", "--", "cd", "/tmp"], { cwd: w, env })).code).toBe(0);
    expect((await runCli(["exec", "--session", "e2e", "--", "export", "CO_E2E=yes"], { cwd: w, env })).code).toBe(0);
    const r = await runCli(["exec", "--session", "e2e", "--json", "compact", "--", "sh", "-c", "echo $PWD $CO_E2E; exit 7"], { cwd: w, env });
    expect(r.code).toBe(7);
    const p = JSON.parse(r.stdout).payload;
    expect(p.outputs.stdout).toBe("/tmp yes\n");
    expect(p.command).toMatchObject({ sessionId: "e2e", persisted: true, tty: true });
    expect(manifestOf(w, p.run.id).commands[0]?.session).toEqual({ id: "e2e", persisted: true, reused: true });
  } finally {
    await runCli(["session", "kill", "e2e"], { cwd: w, env });
  }
}, 60_000);

/** The ndjson lines of a run log (`logs.runner` / `logs.command` of a summary, relative to the workspace). */
function logLines(w: string, path: string): Json[] {
  return lines(readFileSync(join(w, path), "utf8"));
}

describe("exec --tty output is exec:chunk events (issue 22.3)", () => {
  test("every line of a PTY command's output is in exec:chunk events with contiguous seq, and in the command log", async () => {
    const w = workspace();
    const r = await runCli(["exec", "--tty", "--jsonl", "--", "seq", "1", "2000"], { cwd: w });
    expect(r.code).toBe(0);
    const events = lines(r.stdout);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]?.type).toBe("exec:begin");
    expect(events.at(-2)?.type).toBe("exec:end");
    const chunks = events.filter((e) => e.type === "exec:chunk").map((e) => e.payload);
    expect(chunks.length).toBe(events.length - 3);
    expect(chunks.map((c) => c.sequence)).toEqual(chunks.map((_, i) => i + 1));
    expect(chunks.every((c) => c.stream === "stdout" && c.encoding === undefined)).toBe(true);
    const expected = Array.from({ length: 2000 }, (_, i) => `${i + 1}\n`).join("");
    const text = chunks.map((c) => c.data).join("");
    // The terminal turns each \n into \r\n (onlcr).
    expect(text.replace(/\r\n/g, "\n")).toBe(expected);
    expect(chunks.reduce((n, c) => n + c.bytes, 0)).toBe(Buffer.byteLength(text));
    const summary = events.at(-1)?.payload;
    // The output is stored once, in the command log (issue 22.12); runner.ndjson is the timeline without it.
    const logged = logLines(w, summary.logs.command);
    const logChunks = logged.filter((l) => l.type === "exec:chunk");
    expect(logChunks.map((l) => l.sequence)).toEqual(chunks.map((c) => c.sequence));
    expect(logChunks.map((l) => l.data).join("")).toBe(text);
    expect(logLines(w, summary.logs.runner).map((l) => l.type)).toEqual(logged.map((l) => l.type).filter((t) => t !== "exec:chunk"));
  });
});

describe("exec stdin (issue 22.10)", () => {
  const stdoutOf = (r: { stdout: string }) => JSON.parse(r.stdout).payload.outputs.stdout;

  test("a piped stdin reaches the command; --no-stdin gives it /dev/null; --stdin forces it", async () => {
    const w = workspace();
    const piped = await runCli(["exec", "--json", "compact", "--", "cat"], { cwd: w, stdin: "a\nb\n" });
    expect(piped.code).toBe(0);
    expect(stdoutOf(piped)).toBe("a\nb\n");
    const none = await runCli(["exec", "--no-stdin", "--json", "compact", "--", "cat"], { cwd: w, stdin: "a\nb\n" });
    expect(none.code).toBe(0);
    expect(stdoutOf(none)).toBe("");
    const forced = await runCli(["exec", "--stdin=true", "--json", "compact", "--", "cat"], { cwd: w, stdin: "x\n" });
    expect(stdoutOf(forced)).toBe("x\n");
    // Redirected from /dev/null (not a terminal): passed through, and the command reads nothing.
    const devNull = await runCli(["exec", "--json", "compact", "--", "cat"], { cwd: w });
    expect(stdoutOf(devNull)).toBe("");
  });

  test("--stdin is refused with --tty and --session (the command's stdin is the terminal)", async () => {
    const w = workspace();
    const tty = await runCli(["exec", "--stdin", "--tty", "--", "cat"], { cwd: w });
    expect(tty.code).toBe(2);
    expect(tty.stderr).toContain("Cannot combine --stdin with --tty (the command's stdin is the pseudo-terminal).");
    const session = await runCli(["exec", "--session", "s1", "--stdin", "--", "cat"], { cwd: w });
    expect(session.code).toBe(2);
    expect(session.stderr).toContain("Cannot combine --stdin with --session");
    expect(existsSync(join(w, ".runs"))).toBe(false);
  });

  /** Runs the CLI on a fresh pseudo-terminal (its stdin, stdout and stderr are that terminal); the command's stdout. */
  async function onTerminal(args: string[]): Promise<string> {
    const w = workspace();
    const proc = Bun.spawn([CLI, ...args], { cwd: w, env: cliEnv(), terminal: { cols: 200, rows: 24, data() {} } });
    // A command blocked reading the terminal never ends: the guard ends it, and the test fails on the kill.
    const guard = setTimeout(() => proc.kill("SIGKILL"), 20_000);
    const code = await proc.exited;
    clearTimeout(guard);
    proc.terminal?.close();
    expect(proc.signalCode).toBeNull();
    expect(code).toBe(0);
    const runId = readdirSync(join(w, ".runs/t1/cli"))[0] as string;
    return JSON.parse(readFileSync(join(w, ".runs/t1/cli", runId, "run-summary.json"), "utf8")).payload.outputs.stdout;
  }

  test("stdin on a terminal: the command gets /dev/null by default and is not blocked reading it; --stdin passes it", async () => {
    expect(await onTerminal(["exec", "--json", "compact", "--", "sh", "-c", "[ -t 0 ] || echo not-a-tty; cat; echo done"])).toBe(
      "not-a-tty\ndone\n",
    );
    expect(await onTerminal(["exec", "--stdin", "--json", "compact", "--", "sh", "-c", "[ -t 0 ] && echo tty"])).toBe("tty\n");
  });
});
