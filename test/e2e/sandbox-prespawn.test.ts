// The sandbox helper started ahead of its command (issue 15/21, src/exec/sandbox-prespawn.ts) — the path of every
// Landlock attempt when the sandbox thread is off or cannot be used (sandbox-thread.test.ts) — through the compiled
// binary on this kernel's Landlock: it waits while the run is prepared and approved, becomes the command itself (same
// pid) once handed it, and when the orchestrator decides not to run — approval denied, refused, the sandbox
// unavailable — it is gone with the CLI having executed nothing. Also the helper's end of the handoff on its own.
import { expect, test } from "bun:test";
import { closeSync, existsSync, mkdirSync, readFileSync, readSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { probeLandlockAbi } from "../../src/exec/landlock.ts";
import { CLI, cliEnv, jsonLines, runCli, scratchDir } from "../helpers/cli.ts";
import { needsFeature } from "../helpers/needs-program.ts";
import { sandboxTestEnv } from "../helpers/sandbox-env.ts";
import { cmdline, isAlive, pids, procStat } from "../helpers/processes.ts";
import { DOWN, onTerminal } from "../helpers/terminal.ts";
import { waitFor } from "../helpers/wait.ts";
import { call, stdioClient } from "./mcp-helpers.ts";

const probe = probeLandlockAbi({});
const landlock = needsFeature("landlock", probe.abi >= 3, `Landlock ABI ≥ 3 not available here (${probe.reason ?? `ABI ${probe.abi}`})`);

/** A workspace outside /tmp, private config and state, no bubblewrap on PATH, and a marker only our processes carry. */
function setup(): { w: string; env: Record<string, string>; marker: string } {
  const root = scratchDir("co-e2e-prespawn-");
  const w = join(root, "ws");
  mkdirSync(w);
  const marker = `co-prespawn-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const env = sandboxTestEnv(root, {
    CO_PRESPAWN_TEST_MARKER: marker,
    // These are the helper's tests: the sandbox thread, which takes pipe attempts first, is off (sandbox-thread.test.ts).
    CODEX_ORCHESTRATOR_SANDBOX_THREAD: "0",
  });
  return { w, env, marker };
}

/** The live children of `pid` that are a waiting sandbox helper. */
function waitingHelpers(pid: number): number[] {
  return pids().filter((p) => procStat(p)?.ppid === pid && isAlive(p) && (cmdline(p) ?? "").includes("__sandbox-exec --handoff"));
}

/** Live processes whose environment carries the marker (the CLI's children inherit it; the command gets it too). */
function carriersOf(marker: string): number[] {
  return pids().filter((p) => {
    try {
      return isAlive(p) && readFileSync(`/proc/${p}/environ`, "latin1").includes(`CO_PRESPAWN_TEST_MARKER=${marker}`);
    } catch {
      return false;
    }
  });
}

/**
 * No process carries the marker any more. The CLI's own watchdog shell (src/exec/orphan-guard.ts) ends on its own once
 * the CLI is gone, a moment after it; a helper left waiting would stay, and fail this after the wait.
 */
async function noCarriersLeft(marker: string): Promise<void> {
  await waitFor(() => carriersOf(marker).length === 0, 5_000).catch(() => {});
  expect(carriersOf(marker).map((p) => cmdline(p))).toEqual([]);
}

landlock.describe("the sandbox helper started ahead of its command", () => {
  test("it waits through the approval prompt, then becomes the command: same pid, sandboxed, recorded as such", async () => {
    const { w, env } = setup();
    let helpers: number[] = [];
    const args = ["exec", "--json", "compact", "--sandbox", "workspace-write", "--require-approval", "--", "sh", "-c", "echo $$ > pid.txt; touch /var/tmp/co-prespawn-escape || true"];
    const run = await onTerminal(args, w, env, [], (cli) => {
      helpers = waitingHelpers(cli);
    });
    expect(run.prompted).toBe(true);
    expect(helpers).toHaveLength(1);
    expect(run.code).toBe(0);
    // The command ran as the helper's own process (execve keeps the pid), inside the sandbox.
    expect(Number(readFileSync(join(w, "pid.txt"), "utf8").trim())).toBe(helpers[0] as number);
    expect(existsSync("/var/tmp/co-prespawn-escape")).toBe(false);
    expect(run.summary?.payload.result).toMatchObject({ sandboxState: "sandboxed", sandboxBackend: "landlock", attempts: 1 });
    expect(run.summary?.payload.toolRun).toMatchObject({ approvalSource: "prompt", sandboxState: "sandboxed", attemptCount: 1 });
  });

  test("approval denied: the waiting helper is gone with the CLI and executed nothing", async () => {
    const { w, env, marker } = setup();
    let helpers: number[] = [];
    const target = join(w, "..", "ran.txt");
    const args = ["exec", "--json", "compact", "--sandbox", "read-only", "--require-approval", "--", "sh", "-c", `echo ran > ${target}`];
    const run = await onTerminal(args, w, env, [DOWN, DOWN], (cli) => {
      helpers = waitingHelpers(cli);
    });
    expect(run.prompted).toBe(true);
    expect(helpers).toHaveLength(1);
    expect(run.code).toBe(1);
    expect(run.output).toContain("Approval denied for cli:command.");
    expect(existsSync(target)).toBe(false);
    // Reaped before the CLI exited: no stray process, no process carrying our marker at all.
    expect(isAlive(helpers[0] as number)).toBe(false);
    await noCarriersLeft(marker);
  });

  test("refused without a prompt (never), or the sandbox unavailable (the config picks bwrap): nothing ran, nothing left", async () => {
    const { w, env, marker } = setup();
    const target = join(w, "ran.txt");
    const refused = await runCli(["exec", "--json", "compact", "--sandbox", "read-only", "--approval-policy", "never", "--require-approval", "--", "sh", "-c", `echo ran > ${target}`], {
      cwd: w,
      env,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("approval policy forbids new prompts");
    await noCarriersLeft(marker);

    // The flag and environment say auto, so the helper starts; the repository's config then asks for bubblewrap,
    // which is not on PATH: the sandbox fails closed, with its one line, and the helper goes unused.
    writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify({ sandboxBackend: "bwrap", pipelines: [] }));
    const unavailable = await runCli(["exec", "--json", "compact", "--sandbox", "read-only", "--", "sh", "-c", `echo ran > ${target}`], { cwd: w, env });
    expect(unavailable.code).toBe(1);
    expect(unavailable.stderr.trim().split("\n")).toHaveLength(1);
    expect(unavailable.stderr).toContain("Sandbox read-only cannot be enforced");
    expect(jsonLines(unavailable.stdout).at(-1)?.payload.result.sandboxState).toBe("unavailable");
    expect(existsSync(target)).toBe(false);
    await noCarriersLeft(marker);
  });

  test("started by the executable's entry: arguments that do not parse start nothing, and --help runs nothing", async () => {
    const { w, env, marker } = setup();
    const target = join(w, "ran.txt");
    const bad = await runCli(["exec", "--sandbox", "read-only", "--no-such-option", "--", "sh", "-c", `echo ran > ${target}`], { cwd: w, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toEqual(["Unknown exec option: --no-such-option"]);
    const help = await runCli(["exec", "--help", "--sandbox", "read-only", "--", "sh", "-c", `echo ran > ${target}`], { cwd: w, env });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--sandbox");
    // `--sandbox` after `--` belongs to the command: no helper for an unsandboxed run.
    const after = await runCli(["exec", "--json", "compact", "--", "sh", "-c", `echo ran > ${target}`, "--sandbox", "read-only"], { cwd: w, env });
    expect(after.code).toBe(0);
    expect(jsonLines(after.stdout).at(-1)?.payload.result.sandboxState).toBe("unsandboxed");
    expect(readFileSync(target, "utf8")).toBe("ran\n");
    await noCarriersLeft(marker);
  });

  test("a pipeline keeps a helper waiting for its next sandboxed stage; none is left when the run ends", async () => {
    const { w, env, marker } = setup();
    // Each stage records how long its own process had been alive when the command began (clock ticks since the
    // process started, from /proc): a helper started during the stage before (which sleeps 1 s) is about 1 s old, one
    // started with its own attempt a few milliseconds.
    const age = (file: string) => `read up _ < /proc/uptime; start=$(cut -d' ' -f22 /proc/$$/stat); echo "$up $start" > ${file}`;
    const config = {
      pipelines: [
        {
          id: "p",
          title: "P",
          sandbox: "workspace-write",
          stages: [
            { kind: "command", id: "one", title: "One", command: `${age("one.txt")}; sleep 1` },
            { kind: "command", id: "two", title: "Two", command: `${age("two.txt")}; sleep 1` },
            { kind: "command", id: "three", title: "Three", command: age("three.txt") },
            { kind: "command", id: "open", title: "Unsandboxed", command: "echo $CODEX_ORCHESTRATOR_SANDBOX > open.txt", sandbox: "danger-full-access" },
          ],
        },
      ],
    };
    writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify(config));
    const run = await runCli(["start", "p", "--format", "json"], { cwd: w, env });
    expect(run.code).toBe(0);
    const ageOf = (file: string) => {
      const [up, start] = readFileSync(join(w, file), "utf8").trim().split(" ").map(Number) as [number, number];
      return up - start / 100;
    };
    expect(ageOf("one.txt")).toBeLessThan(0.9);
    expect(ageOf("two.txt")).toBeGreaterThan(0.9);
    expect(ageOf("three.txt")).toBeGreaterThan(0.9);
    expect(readFileSync(join(w, "open.txt"), "utf8")).toBe("\n");
    const m = JSON.parse(readFileSync(join(w, JSON.parse(run.stdout).manifest), "utf8"));
    expect(m.commands.map((c: { sandbox?: { state?: string; backend?: string } }) => [c.sandbox?.state, c.sandbox?.backend])).toEqual([
      ["sandboxed", "landlock"],
      ["sandboxed", "landlock"],
      ["sandboxed", "landlock"],
      ["unsandboxed", null],
    ]);
    // The helper started after the third stage was never used: ended with the run, having run nothing.
    await noCarriersLeft(marker);
  });

  test("the MCP server keeps a helper waiting after its first sandboxed exec; the next call becomes it", async () => {
    const { w, env, marker } = setup();
    const waitingOf = () => carriersOf(marker).filter((p) => (cmdline(p) ?? "").includes("__sandbox-exec --handoff"));
    const { client, close } = await stdioClient(w, env, { args: ["--sandbox", "workspace-write"] });
    try {
      expect(waitingOf()).toEqual([]);
      const first = await call(client, "exec", { command: ["sh", "-c", "echo $$; echo x > first.txt"] });
      expect(first.s.exit_code).toBe(0);
      expect(existsSync(join(w, "first.txt"))).toBe(true);
      await waitFor(() => waitingOf().length === 1);
      const [helper] = waitingOf();
      const second = await call(client, "exec", { command: ["sh", "-c", "echo $$; touch /var/tmp/co-prespawn-mcp-escape || true"] });
      expect(second.s.exit_code).toBe(0);
      // The command ran as the waiting helper's own process (execve keeps the pid), inside the sandbox.
      expect(Number(String(second.s.output).trim().split("\n")[0])).toBe(helper as number);
      expect(existsSync("/var/tmp/co-prespawn-mcp-escape")).toBe(false);
      expect((JSON.parse(readFileSync(second.s.manifest, "utf8")) as { commands: { sandbox: { state: string; backend: string } }[] }).commands[0]?.sandbox).toMatchObject({
        state: "sandboxed",
        backend: "landlock",
      });
    } finally {
      await close();
    }
    // The server gone, the helper waiting for a third call is gone too, having run nothing.
    await waitFor(() => carriersOf(marker).length === 0);
  });

  test("a handoff larger than the socket's buffer (a 300 KB environment) arrives whole", async () => {
    const { w, env } = setup();
    const big = { BIG_A: "a".repeat(100_000), BIG_B: "b".repeat(100_000), BIG_C: "c".repeat(100_000) };
    const run = await runCli(["exec", "--json", "compact", "--sandbox", "read-only", "--", "sh", "-c", 'echo ${#BIG_A} ${#BIG_B} ${#BIG_C}; printenv BIG_C | tr -d c'], {
      cwd: w,
      env: { ...env, ...big },
    });
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout).at(-1)?.payload.outputs.stdout).toBe("100000 100000 100000\n\n");
  });

  test("CODEX_ORCHESTRATOR_SANDBOX_PRESPAWN=0: no helper waits; the attempt starts its own, as sandboxed", async () => {
    const { w, env } = setup();
    let helpers: number[] = [1];
    const args = ["exec", "--json", "compact", "--sandbox", "read-only", "--require-approval", "--", "sh", "-c", "touch denied.txt"];
    const run = await onTerminal(args, w, { ...env, CODEX_ORCHESTRATOR_SANDBOX_PRESPAWN: "0" }, [], (cli) => {
      helpers = waitingHelpers(cli);
    });
    expect(run.prompted).toBe(true);
    expect(helpers).toEqual([]);
    expect(run.code).toBe(1);
    expect(existsSync(join(w, "denied.txt"))).toBe(false);
    expect(run.summary?.payload.result).toMatchObject({ sandboxState: "sandboxed", sandboxBackend: "landlock" });
  });
});

/** The helper binary started with `--handoff`, as the orchestrator starts it; `send` null closes descriptor 3 unwritten. */
async function handoff(send: string | null) {
  const proc = Bun.spawn([CLI, "__sandbox-exec", "--handoff"], { cwd: "/", env: cliEnv(), stdio: ["ignore", "pipe", "pipe", "pipe"] });
  const fd = (proc.stdio as unknown as number[])[3] as number;
  if (send !== null) writeSync(fd, send);
  closeSync(fd);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, code };
}

landlock.describe("the helper's end of the handoff (__sandbox-exec --handoff)", () => {
  const policy = JSON.stringify({ v: 1, mode: "read-only", write: [], net: false });

  test("before it waits it reports its Landlock probe on descriptor 3, so the orchestrator need not probe", async () => {
    for (const [extra, expected] of [
      [{}, { abi: probe.abi, reason: null }],
      [{ CODEX_ORCHESTRATOR_TEST_NO_LANDLOCK: "1" }, { abi: 0, reason: "disabled by CODEX_ORCHESTRATOR_TEST_NO_LANDLOCK=1" }],
    ] as const) {
      const proc = Bun.spawn([CLI, "__sandbox-exec", "--handoff"], { cwd: "/", env: cliEnv(extra), stdio: ["ignore", "pipe", "pipe", "pipe"] });
      const fd = (proc.stdio as unknown as number[])[3] as number;
      const buffer = Buffer.alloc(512);
      const line = await waitFor(() => {
        try {
          const n = readSync(fd, buffer, 0, buffer.length, null);
          return buffer.toString("utf8", 0, n);
        } catch {
          return null;
        }
      });
      expect(line.endsWith("\n")).toBe(true);
      expect(JSON.parse(line)).toEqual({ v: 1, ...expected });
      closeSync(fd);
      // Without Landlock it then fails closed with its one line; with it, end-of-file ends it having run nothing.
      expect(await proc.exited).toBe(expected.abi > 0 ? 0 : 1);
    }
  });

  test("end-of-file before a byte: it exits 0 having run nothing", async () => {
    const run = await handoff(null);
    expect(run).toEqual({ stdout: "", stderr: "", code: 0 });
  });

  test("a handoff runs the command in its cwd with its environment, sandboxed; descriptor 3 is not inherited", async () => {
    const w = scratchDir("co-e2e-handoff-");
    const script = 'pwd; echo "$ONLY_IN_HANDOFF $CODEX_ORCHESTRATOR_SANDBOX"; [ -e /proc/self/fd/3 ] && echo fd3-open; touch x 2>/dev/null || echo denied';
    const message = JSON.stringify({ v: 1, args: [policy, "--", "sh", "-c", script], env: { PATH: "/usr/bin:/bin", ONLY_IN_HANDOFF: "yes" }, cwd: w });
    const run = await handoff(message);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${w}\nyes read-only\ndenied\n`);
    expect(existsSync(join(w, "x"))).toBe(false);
  });

  test("a handoff that is not one: exit 2, one line, nothing run", async () => {
    const run = await handoff('{"v":1,"args":["x"],"env":{},"cwd":"relative"}');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("codex-orchestrator sandbox: the handoff's cwd must be an absolute path; nothing was run\n");
    const garbage = await handoff("not json");
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toBe("codex-orchestrator sandbox: the handoff is not JSON; nothing was run\n");
  });
});
