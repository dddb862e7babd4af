// The sandbox thread (issue 15/21, src/exec/sandbox-thread.ts), through the compiled binary on this kernel's Landlock,
// with no bubblewrap on PATH: a Landlock attempt on pipes is spawned by a worker thread of the orchestrator restricted
// to the attempt's policy. What must hold, observed from outside: the command carries the restriction (no_new_privs,
// seccomp, Landlock denials); the orchestrator's own main thread and every thread it did not start for a sandbox stay
// unrestricted, so its record writes and its unsandboxed commands are not affected; each policy is enforced as asked
// in one process; descriptors and children do not pile up in a long-lived server; a thread that cannot restrict itself
// hands the attempt to the helper, which runs it sandboxed.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { probeLandlockAbi } from "../../src/exec/landlock.ts";
import { jsonLines, runCli, scratchDir } from "../helpers/cli.ts";
import { needsFeature } from "../helpers/needs-program.ts";
import { sandboxTestEnv } from "../helpers/sandbox-env.ts";
import { cmdline, pids, procStat } from "../helpers/processes.ts";
import { DOWN, onTerminal } from "../helpers/terminal.ts";
import { call, stdioClient } from "./mcp-helpers.ts";

const probe = probeLandlockAbi({});
const landlock = needsFeature("landlock", probe.abi >= 3, `Landlock ABI ≥ 3 not available here (${probe.reason ?? `ABI ${probe.abi}`})`);

const OUTSIDE = `/var/tmp/co-thread-${process.pid}`;

beforeAll(() => mkdirSync(OUTSIDE, { recursive: true }));
afterAll(() => rmSync(OUTSIDE, { recursive: true, force: true }));

function setup(): { w: string; env: Record<string, string> } {
  const root = scratchDir("co-e2e-thread-");
  const w = join(root, "ws");
  mkdirSync(w);
  return { w, env: sandboxTestEnv(root) };
}

/** Shell words printing what the command's parent (the orchestrator) looks like: main thread, restricted task count. */
const PARENT_REPORT =
  'grep -E "^(Seccomp|NoNewPrivs):" /proc/$PPID/status | tr -d "\\t" | tr "\\n" " "; echo; for t in /proc/$PPID/task/*; do grep -q "^Seccomp:.2" $t/status && echo R; done | wc -l';
/** The same for the command itself. */
const SELF_REPORT = 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status | tr -d "\\t" | tr "\\n" " "; echo';

/**
 * `exec --sandbox <mode>` of a shell script that first reports on itself and on its parent (the CLI), then runs
 * `rest`: the CLI's result, its `run:summary`, and the three report lines.
 */
async function execReporting(w: string, env: Record<string, string>, mode: string, rest: string) {
  const run = await runCli(["exec", "--json", "compact", "--sandbox", mode, "--", "sh", "-c", `${SELF_REPORT}; ${PARENT_REPORT}; ${rest}`], { cwd: w, env });
  const summary = jsonLines(run.stdout).at(-1);
  const [self, parentMain, restricted] = String(summary?.payload.outputs.stdout).trim().split("\n");
  return { run, summary, self, parentMain, restricted: Number(restricted) };
}

/** Per task of `pid`: [tid, name, seccomp mode]. */
function tasks(pid: number): [number, string, number][] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const status = readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8");
    return [Number(tid), /^Name:\s*(.*)$/m.exec(status)?.[1] ?? "", Number(/^Seccomp:\s*(\d)/m.exec(status)?.[1] ?? -1)];
  });
}

landlock.describe("the sandbox thread", () => {
  test("exec: a restricted thread of the CLI spawns the command; the CLI's own main thread stays unrestricted", async () => {
    const { w, env } = setup();
    const { run, summary, self, parentMain, restricted } = await execReporting(w, env, "workspace-write", `touch ${OUTSIDE}/exec-escape || true; touch inside.txt`);
    expect(run.code).toBe(0);
    expect(self).toBe("NoNewPrivs:1 Seccomp:2 ");
    expect(parentMain).toBe("NoNewPrivs:0 Seccomp:0 ");
    // The thread path, not the helper (which leaves the orchestrator without any restricted thread).
    expect(restricted).toBeGreaterThanOrEqual(1);
    expect(existsSync(join(OUTSIDE, "exec-escape"))).toBe(false);
    expect(existsSync(join(w, "inside.txt"))).toBe(true);
    expect(summary?.payload.result).toMatchObject({ sandboxState: "sandboxed", sandboxBackend: "landlock", attempts: 1 });
  });

  test("approval denied while the thread waits: nothing ran, the CLI ends", async () => {
    const { w, env } = setup();
    const target = join(w, "..", "ran.txt");
    const args = ["exec", "--json", "compact", "--sandbox", "read-only", "--require-approval", "--", "sh", "-c", `echo ran > ${target}`];
    const run = await onTerminal(args, w, env, [DOWN, DOWN]);
    expect(run.prompted).toBe(true);
    expect(run.code).not.toBe(0);
    expect(existsSync(target)).toBe(false);
  });

  test("one pipeline, two policies and an unsandboxed stage: each enforced as asked, the last one free", async () => {
    const { w, env } = setup();
    let connections = 0;
    const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open: () => void connections++, data() {} } });
    try {
      const connect = `(bash -c 'exec 3<>/dev/tcp/127.0.0.1/${listener.port}' 2>/dev/null && echo connected || echo refused)`;
      const config = {
        pipelines: [
          {
            id: "p",
            title: "P",
            stages: [
              { kind: "command", id: "ro", title: "ro", sandbox: "read-only", command: `touch ro.txt || true; ${connect}` },
              {
                kind: "command",
                id: "ww",
                title: "ww",
                sandbox: "workspace-write",
                command: `touch ww.txt; touch ${OUTSIDE}/ww-escape || true; ${connect} > ww-net.txt; (${PARENT_REPORT}) > ww-parent.txt`,
              },
              { kind: "command", id: "ro2", title: "ro2", sandbox: "read-only", command: "touch ro2.txt || true" },
              {
                kind: "command",
                id: "open",
                title: "open",
                sandbox: "danger-full-access",
                command: `touch ${OUTSIDE}/open-ok; ${connect} > open-net.txt; (${SELF_REPORT}) > open-self.txt`,
              },
            ],
          },
        ],
      };
      writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify(config));
      const run = await runCli(["start", "p", "--format", "json"], { cwd: w, env });
      expect(run.code).toBe(0);
      expect(existsSync(join(w, "ro.txt"))).toBe(false);
      expect(existsSync(join(w, "ro2.txt"))).toBe(false);
      expect(existsSync(join(w, "ww.txt"))).toBe(true);
      expect(existsSync(join(OUTSIDE, "ww-escape"))).toBe(false);
      expect(readFileSync(join(w, "ww-net.txt"), "utf8")).toBe("refused\n");
      const [parentMain, restricted] = readFileSync(join(w, "ww-parent.txt"), "utf8").trim().split("\n");
      expect(parentMain).toBe("NoNewPrivs:0 Seccomp:0 ");
      // A thread for read-only and one for workspace-write by then.
      expect(Number(restricted)).toBeGreaterThanOrEqual(2);
      // The unsandboxed stage after them: its own process is free, writes outside and reaches the listener.
      expect(existsSync(join(OUTSIDE, "open-ok"))).toBe(true);
      expect(readFileSync(join(w, "open-net.txt"), "utf8")).toBe("connected\n");
      expect(readFileSync(join(w, "open-self.txt"), "utf8")).toBe("NoNewPrivs:0 Seccomp:0 \n");
      expect(connections).toBe(1);
      const m = JSON.parse(readFileSync(join(w, JSON.parse(run.stdout).manifest), "utf8"));
      expect(m.commands.map((c: { sandbox?: { state?: string; backend?: string } }) => [c.sandbox?.state, c.sandbox?.backend])).toEqual([
        ["sandboxed", "landlock"],
        ["sandboxed", "landlock"],
        ["sandboxed", "landlock"],
        ["unsandboxed", null],
      ]);
    } finally {
      listener.stop(true);
    }
  });

  test("parallel stages of one policy: one thread has several commands running at once, each exit its own", async () => {
    const { w, env } = setup();
    // Each stage marks its start and waits (up to 10 s) until all three have started: only concurrent commands end.
    const stage = (id: string, code: number) => ({
      kind: "command",
      id,
      title: id,
      command: `touch started-${id}; i=0; while [ $(ls started-* | wc -l) -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; [ $i -lt 100 ] && echo ok > done-${id}; exit ${code}`,
      allowFailure: code !== 0,
    });
    const config = { pipelines: [{ id: "p", title: "P", parallel: true, sandbox: "workspace-write", stages: [stage("a", 0), stage("b", 3), stage("c", 0)] }] };
    writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify(config));
    const run = await runCli(["start", "p", "--concurrency", "3", "--format", "json"], { cwd: w, env });
    expect(run.code).toBe(0);
    for (const id of ["a", "b", "c"]) expect(readFileSync(join(w, `done-${id}`), "utf8")).toBe("ok\n");
    const m = JSON.parse(readFileSync(join(w, JSON.parse(run.stdout).manifest), "utf8"));
    expect(m.commands.map((c: { exit_code?: number; sandbox?: { state?: string } }) => [c.exit_code, c.sandbox?.state])).toEqual([
      [0, "sandboxed"],
      [3, "sandboxed"],
      [0, "sandboxed"],
    ]);
  });

  test("the MCP server: 40 sandboxed calls leave its own threads unrestricted, no descriptor or child behind", async () => {
    const { w, env } = setup();
    const { client, close } = await stdioClient(w, env);
    try {
      const first = await call(client, "exec", { command: ["sh", "-c", "echo $PPID"], sandbox: "workspace-write" });
      expect(first.s.exit_code).toBe(0);
      const server = Number(String(first.s.output).trim());
      // Measured after ten calls: by then the threads (the restricted one, the server's spare) hold what they keep for
      // good — their rule paths, the next command's pipes — so that only a leak per call can add more.
      let fdsBefore = 0;
      for (let i = 0; i < 40; i++) {
        if (i === 10) fdsBefore = readdirSync(`/proc/${server}/fd`).length;
        const r = await call(client, "exec", { command: ["sh", "-c", `echo ${i} > n.txt; touch ${OUTSIDE}/mcp-escape || true`], sandbox: "workspace-write" });
        expect(r.s.exit_code).toBe(0);
      }
      expect(readFileSync(join(w, "n.txt"), "utf8")).toBe("39\n");
      expect(existsSync(join(OUTSIDE, "mcp-escape"))).toBe(false);
      // Every pipe the threads made was closed once read; every command reaped.
      expect(readdirSync(`/proc/${server}/fd`).length).toBeLessThanOrEqual(fdsBefore + 2);
      expect(pids().filter((p) => procStat(p)?.ppid === server && procStat(p)?.state === "Z")).toEqual([]);
      // The server's main thread and its file-system thread pool are unrestricted; restricted tasks exist (the thread).
      const list = tasks(server);
      expect(list.find(([tid]) => tid === server)?.[2]).toBe(0);
      expect(list.some(([, name]) => /pool/i.test(name))).toBe(true);
      expect(list.filter(([, name]) => /pool/i.test(name)).every(([, , seccomp]) => seccomp === 0)).toBe(true);
      expect(list.some(([, , seccomp]) => seccomp === 2)).toBe(true);
      // An unsandboxed call after them is free.
      const open = await call(client, "exec", { command: ["sh", "-c", `touch ${OUTSIDE}/mcp-open && ${SELF_REPORT}`] });
      expect(open.s.exit_code, open.text).toBe(0);
      expect(String(open.s.output)).toContain("NoNewPrivs:0 Seccomp:0");
      expect(existsSync(join(OUTSIDE, "mcp-open"))).toBe(true);
    } finally {
      await close();
    }
  });

  test("a thread that cannot restrict itself: the attempt goes to the helper and runs sandboxed", async () => {
    const { w, env } = setup();
    const failing = { ...env, CODEX_ORCHESTRATOR_TEST_SANDBOX_THREAD_FAIL: "1" };
    const { run, summary, self, parentMain, restricted } = await execReporting(w, failing, "read-only", `touch ${OUTSIDE}/fallback-escape || true`);
    expect(run.code).toBe(0);
    expect(self).toBe("NoNewPrivs:1 Seccomp:2 ");
    expect(parentMain).toBe("NoNewPrivs:0 Seccomp:0 ");
    expect(restricted).toBe(0);
    expect(existsSync(join(OUTSIDE, "fallback-escape"))).toBe(false);
    expect(summary?.payload.result).toMatchObject({ sandboxState: "sandboxed", sandboxBackend: "landlock" });
  });

  test("a thread that dies with a command running: the command's group is killed and the run ends, recorded so", async () => {
    const { w, env } = setup();
    const marker = `co-thread-crash-${process.pid}`;
    const run = await runCli(["exec", "--json", "compact", "--sandbox", "read-only", "--", "sh", "-c", `sleep 30 & sleep 30; echo ${marker}`], {
      cwd: w,
      env: { ...env, CODEX_ORCHESTRATOR_TEST_SANDBOX_THREAD_CRASH: "1" },
    });
    // Killed by SIGKILL: exit 128 + 9, as exec reports any command a signal ended.
    expect(run.code).toBe(137);
    const summary = jsonLines(run.stdout).at(-1);
    expect(summary?.payload.result).toMatchObject({ status: "failed", exitCode: null, signal: "SIGKILL", sandboxState: "sandboxed" });
    expect(String(summary?.payload.outputs.stdout)).not.toContain(marker);
    // Both sleeps (the group's leader and its background child) are gone.
    expect(pids().filter((p) => /^sleep\s30\s*$/.test(cmdline(p) ?? ""))).toEqual([]);
    const manifest = JSON.parse(readFileSync(summary?.payload.run.manifest.startsWith("/") ? summary?.payload.run.manifest : join(w, summary?.payload.run.manifest), "utf8"));
    expect(manifest.status).toBe("failed");
  });

  test("CODEX_ORCHESTRATOR_SANDBOX_THREAD=0: the helper runs it, sandboxed, and the CLI has no restricted thread", async () => {
    const { w, env } = setup();
    const { run, self, restricted } = await execReporting(w, { ...env, CODEX_ORCHESTRATOR_SANDBOX_THREAD: "0" }, "read-only", "touch denied.txt || true");
    expect(run.code).toBe(0);
    expect(self).toBe("NoNewPrivs:1 Seccomp:2 ");
    expect(restricted).toBe(0);
    expect(existsSync(join(w, "denied.txt"))).toBe(false);
  });
});
