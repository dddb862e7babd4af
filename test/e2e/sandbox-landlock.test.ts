// The in-binary sandbox (issue 15) through the compiled binary, on this kernel's real Landlock and seccomp, with no
// bubblewrap on PATH: what read-only and workspace-write allow and deny (symlinks and `..` included), the network
// switch against a real listener on 127.0.0.1, PTY runs and live sessions inside the sandbox, the process group kill,
// the escalation retry from a Landlock denial, and the fail-closed rule.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:net";
import { join, resolve } from "node:path";
import { probeLandlockAbi } from "../../src/exec/landlock.ts";
import { CLI, cliEnv, runCli, scratchDir } from "../helpers/cli.ts";
import { needsFeature } from "../helpers/needs-program.ts";
import { pathWithout } from "../helpers/path-without.ts";
import { sandboxTestEnv } from "../helpers/sandbox-env.ts";
import { cmdline, isAlive, pids } from "../helpers/processes.ts";

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON under test is walked freely
type Json = Record<string, any>;

const probe = probeLandlockAbi({});
const landlock = needsFeature("landlock", probe.abi >= 3, `Landlock ABI ≥ 3 not available here (${probe.reason ?? `ABI ${probe.abi}`})`);

const NO_BWRAP_PATH = pathWithout(["bwrap"]);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * A workspace outside /tmp (which workspace-write leaves writable on purpose) with a sibling directory outside it, and
 * an environment without bubblewrap on PATH and with private config and state.
 */
function setup(): { w: string; outside: string; env: Record<string, string> } {
  const root = mkdtempSync("/var/tmp/co-e2e-landlock-");
  dirs.push(root);
  const w = join(root, "ws");
  const outside = join(root, "outside");
  mkdirSync(w);
  mkdirSync(outside);
  return { w, outside, env: sandboxTestEnv(root) };
}

const jsonl = (stdout: string): Json[] =>
  stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));

const manifestOf = (summary: Json, env: Record<string, string>): Json =>
  JSON.parse(readFileSync(join(env.CODEX_ORCHESTRATOR_RUNS_DIR as string, "t1", "cli", summary.payload.run.id, "manifest.json"), "utf8"));

async function exec(args: string[], w: string, env: Record<string, string>) {
  const run = await runCli(["exec", "--jsonl", ...args], { cwd: w, env });
  const events = jsonl(run.stdout);
  return { ...run, events, summary: events.at(-1) as Json };
}

landlock.describe("Landlock sandbox through the binary, no bubblewrap on PATH", () => {
  test("the machine has no bwrap on this PATH", () => {
    expect(existsSync(join(NO_BWRAP_PATH, "bwrap"))).toBe(false);
    expect(existsSync(join(NO_BWRAP_PATH, "sh"))).toBe(true);
  });

  test("read-only: a write is denied and the file is absent; reads work; the record names the backend and ABI", async () => {
    const { w, env } = setup();
    writeFileSync(join(w, "present.txt"), "here\n");
    const run = await exec(["--sandbox", "read-only", "--", "sh", "-c", "cat present.txt; echo x > f.txt"], w, env);
    expect(run.code).not.toBe(0);
    expect(existsSync(join(w, "f.txt"))).toBe(false);
    expect(run.summary.payload.outputs).toMatchObject({ stdout: "here\n", stderr: "sh: 1: cannot create f.txt: Permission denied\n" });
    const begin = run.events.find((e) => e.type === "exec:begin") as Json;
    const end = run.events.find((e) => e.type === "exec:end") as Json;
    for (const payload of [begin.payload, end.payload, run.summary.payload.result, run.summary.payload.toolRun]) {
      expect(payload).toMatchObject({ sandboxState: "sandboxed", sandboxBackend: "landlock", landlockAbi: probe.abi });
    }
    const m = manifestOf(run.summary, env);
    expect(m.toolRuns[0]).toMatchObject({ sandboxBackend: "landlock", landlockAbi: probe.abi });
    expect(m.commands[0].sandbox).toEqual({ mode: "read-only", state: "sandboxed", backend: "landlock", landlockAbi: probe.abi });
    // The denial is a sandbox denial (it would feed an escalation), reported with its grant command.
    expect(run.stderr).toContain("The read-only sandbox denied the command (Permission denied); to let it run without the sandbox: ");
  });

  test("read-only leaves /dev/null and the markers; no truncation, no removal", async () => {
    const { w, env } = setup();
    writeFileSync(join(w, "keep.txt"), "keep\n");
    const script =
      'echo ok > /dev/null && echo "$CODEX_ORCHESTRATOR_SANDBOX $CODEX_SANDBOX_NETWORK_DISABLED"; truncate -s 0 keep.txt; rm -f keep.txt; mkdir d; true';
    const run = await exec(["--sandbox", "read-only", "--", "sh", "-c", script], w, env);
    expect(run.code).toBe(0);
    expect(run.summary.payload.outputs.stdout).toBe("read-only 1\n");
    expect(readFileSync(join(w, "keep.txt"), "utf8")).toBe("keep\n");
    expect(existsSync(join(w, "d"))).toBe(false);
  });

  test("workspace-write: inside ok; outside denied, also through a symlink pointing outside and through ..", async () => {
    const { w, outside, env } = setup();
    symlinkSync(outside, join(w, "link-out"));
    symlinkSync(join(outside, "via-file.txt"), join(w, "file-link"));
    const script = [
      "echo in > inside.txt && mkdir sub && echo deep > sub/deep.txt && mv sub/deep.txt moved.txt",
      `echo a > ${outside}/direct.txt`,
      "echo b > link-out/via-link.txt",
      "echo c > file-link",
      "echo d > ../outside/via-dotdot.txt",
      "echo e > sub/../../outside/via-sub-dotdot.txt",
      "true",
    ].join("; ");
    const run = await exec(["--sandbox", "workspace-write", "--", "sh", "-c", script], w, env);
    expect(run.code).toBe(0);
    expect(readFileSync(join(w, "inside.txt"), "utf8")).toBe("in\n");
    expect(readFileSync(join(w, "moved.txt"), "utf8")).toBe("deep\n");
    for (const name of ["direct.txt", "via-link.txt", "via-file.txt", "via-dotdot.txt", "via-sub-dotdot.txt"]) {
      expect(existsSync(join(outside, name))).toBe(false);
    }
    const denials = run.summary.payload.outputs.stderr.split("\n").filter((l: string) => l.includes("Permission denied"));
    expect(denials).toHaveLength(5);
  });

  test("workspace-write: /tmp and $TMPDIR are writable; the repository root too, the rest is not", async () => {
    const { w, env } = setup();
    const tmpdir = mkdtempSync("/var/tmp/co-e2e-tmpdir-");
    dirs.push(tmpdir);
    const sub = join(w, "pkg");
    mkdirSync(sub);
    const script = `f=$(mktemp /tmp/co-landlock-XXXXXX) && echo t > $f && cat $f && rm $f && echo u > "$TMPDIR/u.txt" && echo r > ${w}/root.txt`;
    const run = await exec(["--sandbox", "workspace-write", "--cwd", sub, "--", "sh", "-c", script], w, { ...env, TMPDIR: tmpdir });
    expect(run.code).toBe(0);
    expect(run.summary.payload.outputs.stdout).toBe("t\n");
    expect(readFileSync(join(tmpdir, "u.txt"), "utf8")).toBe("u\n");
    // The command runs in pkg/; the repository root (the CLI's cwd) is writable as well.
    expect(readFileSync(join(w, "root.txt"), "utf8")).toBe("r\n");
  });

  test("TCP connect to a listener on 127.0.0.1 fails unless the network is allowed", async () => {
    const { w, env } = setup();
    let connections = 0;
    const server: Server = createServer((socket) => {
      connections++;
      socket.end("pong\n");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const port = (server.address() as { port: number }).port;
    try {
      const script = `exec 3<>/dev/tcp/127.0.0.1/${port} && head -n 1 <&3`;
      const blocked = await exec(["--sandbox", "workspace-write", "--", "bash", "-c", script], w, env);
      expect(blocked.code).not.toBe(0);
      expect(blocked.summary.payload.outputs.stdout).toBe("");
      expect(blocked.summary.payload.outputs.stderr).toContain("Operation not permitted");
      expect(connections).toBe(0);
      const allowed = await exec(["--sandbox", "workspace-write", "--sandbox-network", "--", "bash", "-c", script], w, env);
      expect(allowed.code).toBe(0);
      expect(allowed.summary.payload.outputs.stdout).toBe("pong\n");
      expect(connections).toBe(1);
      // Unix sockets stay usable without the network (AF_UNIX is allowed).
      const unix = await exec(["--sandbox", "read-only", "--", "python3", "-c", "import socket; socket.socketpair(); print('unix ok')"], w, env);
      expect(unix.summary.payload.outputs.stdout).toBe("unix ok\n");
    } finally {
      server.close();
    }
  });

  test("seccomp is real: io_uring_setup and ptrace are refused inside the sandbox, not outside", async () => {
    const { w, env } = setup();
    // io_uring_setup(1, NULL): EFAULT where the call is allowed, EPERM where the filter refuses it. PTRACE_TRACEME: 0 or EPERM.
    const ptrace = process.arch === "arm64" ? 117 : 101;
    const script = `import ctypes; c = ctypes.CDLL(None, use_errno=True); r = c.syscall(425, 1, None); e = ctypes.get_errno(); ctypes.set_errno(0); t = c.syscall(${ptrace}, 0, 0, 0, 0); print(r, e, t, ctypes.get_errno())`;
    const outside = await exec(["--", "python3", "-c", script], w, env);
    expect(outside.summary.payload.outputs.stdout).toBe("-1 14 0 0\n");
    const inside = await exec(["--sandbox", "workspace-write", "--sandbox-network", "--", "python3", "-c", script], w, env);
    expect(inside.summary.payload.outputs.stdout).toBe("-1 1 -1 1\n");
  });

  test("a PTY run works in the sandbox: a real terminal, its size, and denials", async () => {
    const { w, outside, env } = setup();
    const script = `tty; stty size; echo in > in.txt; echo out > ${outside}/out.txt; echo done`;
    const run = await exec(["--tty", "--sandbox", "workspace-write", "--", "sh", "-c", script], w, env);
    expect(run.code).toBe(0);
    const out = run.summary.payload.outputs.stdout as string;
    expect(out).toMatch(/^\/dev\/pts\/\d+\r\n40 120\r\n/);
    expect(out).toContain("Permission denied");
    expect(out).toEndWith("done\r\n");
    expect(existsSync(join(w, "in.txt"))).toBe(true);
    expect(existsSync(join(outside, "out.txt"))).toBe(false);
    expect(run.summary.payload.result).toMatchObject({ sandboxState: "sandboxed", sandboxBackend: "landlock" });
  });

  test("a live session runs in the sandbox it started in; another sandbox is refused, nothing run", async () => {
    const { w, outside, env } = setup();
    try {
      const first = await exec(["--session", "box", "--sandbox", "workspace-write", "--", "export", "KEPT=yes"], w, env);
      expect(first.code).toBe(0);
      expect(first.summary.payload.result).toMatchObject({ sandboxState: "sandboxed", sandboxBackend: "landlock" });
      const script = `echo $KEPT > s.txt; echo x > ${outside}/s.txt`;
      const second = await exec(["--session", "box", "--sandbox", "workspace-write", "--", "sh", "-c", script], w, env);
      expect(second.summary.payload.outputs.stdout).toContain("Permission denied");
      expect(readFileSync(join(w, "s.txt"), "utf8")).toBe("yes\n");
      expect(existsSync(join(outside, "s.txt"))).toBe(false);
      // A denial in a live session cannot escalate: the shell keeps its sandbox.
      expect(second.stderr).toContain("a command in a live session cannot leave the session's sandbox");

      const list = JSON.parse((await runCli(["session", "list", "--format", "json"], { cwd: w, env })).stdout) as Json[];
      expect(list.find((s) => s.id === "box")?.sandbox).toBe("the workspace-write sandbox (landlock, network off)");

      for (const other of [["--sandbox", "read-only"], []]) {
        const refused = await exec(["--session", "box", ...other, "--", "touch", "refused.txt"], w, env);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain("runs the workspace-write sandbox (landlock, network off), but this command asks for");
        expect(existsSync(join(w, "refused.txt"))).toBe(false);
      }
    } finally {
      await runCli(["session", "kill", "box"], { cwd: w, env });
    }
  });

  test("a persisted stage session runs in the stage's sandbox", async () => {
    const { w, outside, env } = setup();
    const config = {
      pipelines: [
        {
          id: "p",
          title: "P",
          sandbox: "workspace-write",
          stages: [
            { kind: "command", id: "one", title: "One", command: "export SEEN=1; echo in > a.txt", session: { id: "s", persist: true } },
            { kind: "command", id: "two", title: "Two", command: `echo $SEEN > b.txt; echo x > ${outside}/c.txt`, session: { id: "s", reuse: true } },
          ],
        },
      ],
    };
    writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify(config));
    const run = await runCli(["start", "p", "--format", "json"], { cwd: w, env });
    expect(run.code).toBe(1);
    expect(readFileSync(join(w, "b.txt"), "utf8")).toBe("1\n");
    expect(existsSync(join(outside, "c.txt"))).toBe(false);
    const m = JSON.parse(readFileSync(resolve(w, JSON.parse(run.stdout).manifest), "utf8")) as Json;
    expect(m.commands.map((c: Json) => [c.status, c.sandbox?.state, c.sandbox?.backend])).toEqual([
      ["succeeded", "sandboxed", "landlock"],
      ["failed", "sandboxed", "landlock"],
    ]);
  });

  test("killing the run kills the whole process group inside the sandbox", async () => {
    const { w, env } = setup();
    const seconds = String(400 + Math.floor(Math.random() * 10_000));
    const proc = Bun.spawn([CLI, "exec", "--jsonl", "--sandbox", "read-only", "--", "sh", "-c", `sleep ${seconds} & echo started; wait`], {
      cwd: w,
      env: cliEnv(env),
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = proc.stdout.getReader();
    let text = "";
    while (!text.includes('"data":"started\\n"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const sleeper = () => pids().filter((pid) => cmdline(pid) === `sleep ${seconds}` && isAlive(pid));
    const appear = Date.now() + 5_000;
    while (sleeper().length === 0 && Date.now() < appear) await Bun.sleep(10);
    expect(sleeper()).toHaveLength(1);
    proc.kill("SIGTERM");
    await proc.exited;
    reader.releaseLock();
    const gone = Date.now() + 10_000;
    while (sleeper().length > 0 && Date.now() < gone) await Bun.sleep(20);
    expect(sleeper()).toEqual([]);
    expect(proc.exitCode).toBe(143);
  });

  test("a Landlock denial feeds the escalation retry: with a cached grant it runs again outside the sandbox", async () => {
    const { w, outside, env } = setup();
    const args = ["--approval-policy", "never", "--sandbox", "workspace-write", "--", "sh", "-c", `echo escaped > ${outside}/out.txt`];
    const denied = await exec(args, w, env);
    expect(denied.code).not.toBe(0);
    expect(existsSync(join(outside, "out.txt"))).toBe(false);
    const key = /approvals grant ([0-9a-f]{16})/.exec(denied.stderr)?.[1] as string;
    expect((await runCli(["approvals", "grant", key], { cwd: w, env })).code).toBe(0);

    const run = await exec(args, w, env);
    expect(run.code).toBe(0);
    expect(readFileSync(join(outside, "out.txt"), "utf8")).toBe("escaped\n");
    const attempts = run.events
      .filter((e) => e.type === "exec:begin" || e.type === "exec:retry")
      .map((e) => [e.type, e.payload.attempt, e.payload.sandboxState, e.payload.sandboxBackend ?? null]);
    expect(attempts).toEqual([
      ["exec:begin", 1, "sandboxed", "landlock"],
      ["exec:retry", 1, "sandboxed", null],
      ["exec:begin", 2, "escalated", null],
    ]);
    expect(run.events.find((e) => e.type === "exec:retry")?.payload.errorMessage).toContain("Permission denied");
    expect(run.summary.payload.result).toMatchObject({ attempts: 2, sandboxState: "escalated", sandboxBackend: null });
  });

  test("a program that cannot be found inside the sandbox is a spawn error, as without one", async () => {
    const { w, env } = setup();
    const run = await exec(["--sandbox", "read-only", "--", "co-no-such-program-xyz"], w, env);
    expect(run.code).toBe(127);
    expect(run.summary.payload.result).toMatchObject({ exitCode: 127, spawnError: "command not found: co-no-such-program-xyz", attempts: 1 });
    writeFileSync(join(w, "not-exec.sh"), "echo hi\n");
    const noExec = await exec(["--sandbox", "read-only", "--", "./not-exec.sh"], w, env);
    expect(noExec.code).toBe(126);
    expect(noExec.summary.payload.result.spawnError).toBe("permission denied: ./not-exec.sh");
  });

  test("sandbox check reports Landlock and the backend a command would get", async () => {
    const { w, env } = setup();
    const text = await runCli(["sandbox", "check"], { cwd: w, env });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Landlock:        ABI ${probe.abi}; usable: yes`);
    expect(text.stdout).toContain("bubblewrap:      not found on PATH; usable: no");
    expect(text.stdout).toEndWith("Backend:         landlock (--sandbox-backend auto)\n");
    const json = await runCli(["sandbox", "check", "--format", "json", "--sandbox-backend", "bwrap"], { cwd: w, env });
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as Json;
    expect(report).toMatchObject({
      platform: "linux",
      landlock: { abi: probe.abi, usable: true, reason: null },
      seccomp: { available: true },
      bwrap: { path: null, usable: false },
      backend: { choice: "bwrap", selected: null },
      fallback: "fail",
    });
    expect(report.backend.reason).toContain("bubblewrap (bwrap) not found on PATH");
    // Which Landlock path pipe attempts take: the sandbox thread here (ABI 7 has erratum 2), the helper when it is off.
    // (On ABI 6 it depends on whether the kernel has the erratum's fix.)
    if (probe.abi !== 6) {
      expect(report.landlock.thread).toEqual({ usable: true, reason: null });
      expect(text.stdout).toContain("Sandbox thread:  yes\n");
    }
    const off = await runCli(["sandbox", "check", "--format", "json"], { cwd: w, env: { ...env, CODEX_ORCHESTRATOR_SANDBOX_THREAD: "0" } });
    expect(JSON.parse(off.stdout).landlock.thread).toEqual({ usable: false, reason: "CODEX_ORCHESTRATOR_SANDBOX_THREAD=0" });
    const bad = await runCli(["sandbox", "check", "--format", "yaml"], { cwd: w, env });
    expect(bad).toMatchObject({ code: 2, stderr: "Invalid value for --format: yaml (expected json or text).\n" });
  });
});

describe("fail closed: the sandbox asked for cannot be enforced (issue 15)", () => {
  /** Runs exec and checks the fail-closed contract: one stderr line, exit 1, nothing spawned, recorded unavailable. */
  async function refused(args: string[], env: Record<string, string>, w: string, reasonPart: string) {
    const run = await exec([...args, "--", "sh", "-c", "echo ran > marker.txt"], w, env);
    expect(run.code).toBe(1);
    expect(existsSync(join(w, "marker.txt"))).toBe(false);
    expect(run.stderr.split("\n")).toHaveLength(2);
    expect(run.stderr).toStartWith("Sandbox read-only cannot be enforced: ");
    expect(run.stderr).toContain(reasonPart);
    expect(run.stderr).toEndWith("Nothing was run; --sandbox-fallback unsandboxed runs it without a sandbox.\n");
    expect(run.events.map((e) => e.type)).toEqual(["run:summary"]);
    expect(run.summary.payload.result).toMatchObject({ sandboxState: "unavailable", exitCode: 1 });
    const m = manifestOf(run.summary, env);
    expect([m.status, m.commands[0].sandbox.state]).toEqual(["failed", "unavailable"]);
    expect(m.commands[0].sandbox.reason).toContain(reasonPart);
    return run;
  }

  test("--sandbox-backend bwrap without bwrap on PATH", async () => {
    const { w, env } = setup();
    await refused(["--sandbox", "read-only", "--sandbox-backend", "bwrap"], env, w, "bubblewrap (bwrap) not found on PATH; install bubblewrap");
  });

  test("--sandbox-backend seatbelt on Linux (macOS only): exec, a pipeline stage and sandbox check", async () => {
    const { w, env } = setup();
    const seatbelt = "Seatbelt (/usr/bin/sandbox-exec) is macOS only (this is linux); use --sandbox-backend landlock or bwrap";
    await refused(["--sandbox", "read-only", "--sandbox-backend", "seatbelt"], env, w, seatbelt);
    // The environment variable chooses it the same way, and the waiting Landlock helper is not started for it.
    await refused(["--sandbox", "read-only"], { ...env, CODEX_ORCHESTRATOR_SANDBOX_BACKEND: "seatbelt" }, w, seatbelt);
    const json = await runCli(["sandbox", "check", "--format", "json", "--sandbox-backend", "seatbelt"], { cwd: w, env });
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as Json;
    expect(report.seatbelt).toEqual({ path: null, usable: false, reason: "Seatbelt (/usr/bin/sandbox-exec) is macOS only (this is linux)" });
    expect(report.backend).toEqual({ choice: "seatbelt", selected: null, reason: seatbelt });
    const stage = { kind: "command", id: "write", title: "Write", command: "echo ran > marker.txt", sandbox: "read-only" };
    writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify({ pipelines: [{ id: "p", title: "P", stages: [stage] }] }));
    const start = await runCli(["start", "p", "--sandbox-backend", "seatbelt"], { cwd: w, env });
    expect(start.code).toBe(1);
    expect(existsSync(join(w, "marker.txt"))).toBe(false);
    expect(start.stdout).toContain(`Failed stage: Write (exit code 1): Execution error: Sandbox read-only cannot be enforced: ${seatbelt}`);
    const text = await runCli(["sandbox", "check"], { cwd: w, env });
    expect(text.stdout).toContain("Seatbelt:        not available; usable: no (Seatbelt (/usr/bin/sandbox-exec) is macOS only (this is linux))\n");
  });

  test("no Landlock (forced by the test override): --sandbox-backend landlock, and auto without bwrap", async () => {
    const { w, env } = setup();
    const off = { ...env, CODEX_ORCHESTRATOR_TEST_NO_LANDLOCK: "1" };
    await refused(["--sandbox", "read-only", "--sandbox-backend", "landlock"], off, w, "Landlock is not available (disabled by CODEX_ORCHESTRATOR_TEST_NO_LANDLOCK=1)");
    await refused(["--sandbox", "read-only"], off, w, "no sandbox backend: Landlock is not available");
  });

  test("a bwrap on PATH that cannot create a namespace", async () => {
    const { w, env } = setup();
    const bin = join(scratchDir("co-fake-bwrap-"), "bin");
    mkdirSync(bin);
    const calls = join(bin, "calls.txt");
    // What bubblewrap prints where unprivileged user namespaces are off, and its exit code.
    writeFileSync(
      join(bin, "bwrap"),
      `#!/bin/sh\necho "$@" >> ${calls}\necho 'bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces.' >&2\nexit 1\n`,
    );
    chmodSync(join(bin, "bwrap"), 0o755);
    const fake = { ...env, PATH: `${bin}:${env.PATH}` };
    await refused(["--sandbox", "read-only", "--sandbox-backend", "bwrap"], fake, w, "bubblewrap cannot create a sandbox here (bwrap: No permissions to creating new namespace");
    // Probed once (with the probe's own `/bin/sh -c :`), never asked to run the command.
    const probes = readFileSync(calls, "utf8").trim().split("\n");
    expect(probes).toHaveLength(1);
    expect(probes[0]).toEndWith("-- /bin/sh -c :");
    // auto without Landlock falls to that bwrap: refused the same way.
    await refused(["--sandbox", "read-only"], { ...fake, CODEX_ORCHESTRATOR_TEST_NO_LANDLOCK: "1" }, w, "bubblewrap cannot create a sandbox here");
  });

  landlock.test("a pipeline stage fails closed the same way (start --sandbox-backend bwrap), and the config's network setting applies", async () => {
    const { w, env } = setup();
    const server: Server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const port = (server.address() as { port: number }).port;
    const connect = `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}'`;
    const stage = (network: boolean) => ({ kind: "command", id: "write", title: "Write", command: `echo ran > marker.txt && ${connect}`, sandbox: { mode: "workspace-write", network } });
    const config = {
      pipelines: [
        { id: "p", title: "P", stages: [stage(true)] },
        { id: "offline", title: "Offline", stages: [stage(false)] },
      ],
    };
    writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify(config));
    const run = await runCli(["start", "p", "--sandbox-backend", "bwrap"], { cwd: w, env });
    expect(run.code).toBe(1);
    expect(existsSync(join(w, "marker.txt"))).toBe(false);
    expect(run.stdout).toContain("Failed stage: Write (exit code 1): Execution error: Sandbox workspace-write cannot be enforced: bubblewrap (bwrap) not found on PATH");
    const manifest = /Manifest: (\S+)/.exec(run.stdout)?.[1] as string;
    const m = JSON.parse(readFileSync(resolve(w, manifest), "utf8")) as Json;
    expect([m.status, m.status_detail]).toEqual(["failed", "stage:write:error"]);
    expect(m.commands[0].sandbox).toMatchObject({ mode: "workspace-write", state: "unavailable", backend: null });
    expect(m.toolRuns).toEqual([]);
    // With a backend, the same stage runs sandboxed with the network on, as its config says.
    const ok = await runCli(["start", "p", "--format", "json"], { cwd: w, env });
    expect(ok.code).toBe(0);
    const m2 = JSON.parse(readFileSync(resolve(w, JSON.parse(ok.stdout).manifest), "utf8")) as Json;
    expect(m2.commands[0].sandbox).toMatchObject({ state: "sandboxed", backend: "landlock" });
    const log = readFileSync(resolve(w, m2.commands[0].log_path), "utf8");
    expect(log).toContain('"sandbox_backend":"landlock"');
    // The network is off unless the setting says otherwise.
    const offline = await runCli(["start", "offline", "--format", "json"], { cwd: w, env });
    expect(offline.code).toBe(1);
    server.close();
  });

  test("a session whose sandbox cannot be enforced starts no shell", async () => {
    const { w, env } = setup();
    const off = { ...env, CODEX_ORCHESTRATOR_TEST_NO_LANDLOCK: "1" };
    const run = await exec(["--session", "never", "--sandbox", "read-only", "--", "touch", "marker.txt"], w, off);
    expect(run.code).toBe(1);
    expect(run.stderr).toStartWith("Sandbox read-only cannot be enforced: ");
    expect(existsSync(join(w, "marker.txt"))).toBe(false);
    const list = await runCli(["session", "list", "--format", "json"], { cwd: w, env: off });
    expect(JSON.parse(list.stdout)).toEqual([]);
  });
});
