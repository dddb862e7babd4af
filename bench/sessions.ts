/**
 * Session benchmarks (issue 5): 100 commands in one reused PTY session against 100 fresh shells (`bash -c`), the
 * per-command overhead inside a live session, and the same through the session host (socket round trip).
 * With `CODEX_ORCHESTRATOR_BENCH_BIN=<binary>` it also times 100 `session exec` invocations against 100 `exec` ones.
 *
 *   bun run bench/sessions.ts [--n 100]   (CLI comparison with CODEX_ORCHESTRATOR_BENCH_BIN=<binary>)
 */
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PtyShell } from "../src/exec/pty-shell.ts";
import { execInSession, shutdownHost } from "../src/exec/session-client.ts";

export type SessionBench = {
  n: number;
  reusedMs: number;
  freshMs: number;
  ratio: number;
  overheadMedianMs: number;
  hostMedianMs: number;
  cli?: { sessionExecMs: number; execMs: number; ratio: number } | { skipped: string };
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function benchSessions(n = 100, bin = process.env.CODEX_ORCHESTRATOR_BENCH_BIN): Promise<SessionBench> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "bench-sessions-")));
  const command = (i: number) => `echo line-${i}`;

  // 100 commands in one reused session (shell start-up included, once).
  let shell!: PtyShell;
  const reusedMs = await timed(async () => {
    shell = await PtyShell.start({ cwd: dir });
    for (let i = 0; i < n; i++) await shell.run(command(i));
  });

  // 100 fresh shells.
  const freshMs = await timed(async () => {
    for (let i = 0; i < n; i++) {
      const proc = Bun.spawn(["bash", "-c", command(i)], { cwd: dir, stdout: "pipe", stderr: "pipe" });
      await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    }
  });

  // Overhead of the session machinery itself: a no-op command.
  const noop: number[] = [];
  for (let i = 0; i < Math.max(n, 200); i++) noop.push(await timed(() => shell.run(":")));
  await shell.dispose();

  // Through the session host (one socket connection per command).
  const runs = join(dir, ".runs");
  const opts = { cwd: dir, onNotice: () => {} };
  await execInSession(runs, "bench", ":", opts);
  const viaHost: number[] = [];
  for (let i = 0; i < n; i++) viaHost.push(await timed(() => execInSession(runs, "bench", ":", opts)));
  await shutdownHost(runs);

  const result: SessionBench = {
    n,
    reusedMs,
    freshMs,
    ratio: reusedMs / freshMs,
    overheadMedianMs: median(noop),
    hostMedianMs: median(viaHost),
  };
  if (bin !== undefined) result.cli = await benchCli(bin, dir, n);
  rmSync(dir, { recursive: true, force: true });
  return result;
}

/** `session exec` ×n against `exec` ×n through the compiled binary. */
async function benchCli(bin: string, dir: string, n: number): Promise<NonNullable<SessionBench["cli"]>> {
  const home = join(dir, "home");
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, XDG_STATE_HOME: join(home, ".local/state"), XDG_CONFIG_HOME: join(home, ".config"), MCP_RUNNER_TASK_ID: "bench" };
  const run = async (args: string[]) => {
    const proc = Bun.spawn([bin, ...args], { cwd: dir, env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    return proc.exitCode;
  };
  if ((await run(["exec", "--json", "--", "true"])) !== 0) return { skipped: "exec did not succeed with this binary" };
  await run(["session", "exec", "bench", ":"]);
  const sessionExecMs = await timed(async () => {
    for (let i = 0; i < n; i++) await run(["session", "exec", "bench", `echo line-${i}`]);
  });
  const execMs = await timed(async () => {
    for (let i = 0; i < n; i++) await run(["exec", "--json", "--", "echo", `line-${i}`]);
  });
  await shutdownHost(join(dir, ".runs"));
  return { sessionExecMs, execMs, ratio: sessionExecMs / execMs };
}

export function formatSessionBench(r: SessionBench): string {
  const lines = [
    `sessions: ${r.n} commands in one reused PTY session: ${r.reusedMs.toFixed(1)} ms; ${r.n} fresh bash -c: ${r.freshMs.toFixed(1)} ms; ratio ${r.ratio.toFixed(3)} (target ≤ 0.2)`,
    `sessions: per-command overhead in a live session (no-op), median ${r.overheadMedianMs.toFixed(3)} ms (target ≤ 5 ms)`,
    `sessions: per-command round trip through the session host, median ${r.hostMedianMs.toFixed(3)} ms`,
  ];
  if (r.cli !== undefined) {
    lines.push(
      "skipped" in r.cli
        ? `sessions: CLI comparison skipped (${r.cli.skipped})`
        : `sessions: CLI ${r.n}× session exec ${r.cli.sessionExecMs.toFixed(0)} ms vs ${r.n}× exec ${r.cli.execMs.toFixed(0)} ms; ratio ${r.cli.ratio.toFixed(3)}`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { n: { type: "string", default: "100" } } });
  console.log(formatSessionBench(await benchSessions(Number(values.n))));
}
