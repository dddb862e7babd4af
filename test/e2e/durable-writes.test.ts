import { expect } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { CLI, cliEnv, jsonLines, scratchDir } from "../helpers/cli.ts";
import { needsProgram } from "../helpers/needs-program.ts";
import { manifestOf, metricsLines } from "../helpers/runs.ts";
import { workspace } from "../helpers/workspace.ts";

/**
 * The durability rule of docs/benchmarks.md, seen from the system calls of a real `exec` (issue 21 moved fsyncs
 * around to take them off the critical path): the first manifest is flushed before the command starts, and the
 * final-status manifest, `run-summary.json` and the metrics line are flushed before the process ends.
 */
const strace = needsProgram("strace", "apt-get install strace");

type Call = { tid: number; start: number; end: number; name: string; args: string; result: number };

/** Every traced call of the CLI process itself (its threads), not of the processes it spawned. */
function tracedCalls(dir: string): Call[] {
  const calls: Call[] = [];
  for (const file of readdirSync(dir)) {
    const tid = Number(file.split(".").pop());
    const lines = readFileSync(join(dir, file), "utf8").split("\n");
    const own: Call[] = [];
    let child = false;
    for (const line of lines) {
      const m = /^(\d+\.\d+) (\w+)\((.*)\) += (-?\d+)[^<]*<([\d.]+)>$/.exec(line);
      if (m === null) continue;
      const call = { tid, start: Number(m[1]), end: Number(m[1]) + Number(m[5]), name: m[2] as string, args: m[3] as string, result: Number(m[4]) };
      if (call.name === "execve" && !call.args.startsWith(JSON.stringify(CLI))) child = true;
      own.push(call);
    }
    // A spawned process (the watchdog shell, the command) runs in a file of its own and ends in another program.
    if (!child) calls.push(...own);
  }
  return calls.sort((a, b) => a.start - b.start);
}

const quoted = (args: string, index: number) => args.match(/"((?:[^"\\]|\\.)*)"/g)?.[index]?.slice(1, -1) ?? "";

/** The path each fsync'd descriptor was opened with (threads share the descriptor table). */
function fsyncedPaths(calls: Call[]): { path: string; end: number }[] {
  const open = new Map<number, string>();
  const out: { path: string; end: number }[] = [];
  for (const call of calls) {
    if (call.name === "openat" && call.result >= 0) open.set(call.result, quoted(call.args, 0));
    if ((call.name === "fsync" || call.name === "fdatasync") && call.result === 0) {
      out.push({ path: open.get(Number.parseInt(call.args, 10)) ?? "?", end: call.end });
    }
  }
  return out;
}

strace.test("exec: the first manifest is on disk before the command starts, the final records before the exit", async () => {
  const w = workspace();
  const traces = scratchDir("co-strace-");
  const proc = Bun.spawn(
    [
      strace.path as string,
      "-f",
      "-ff",
      "-ttt",
      "-T",
      "-qq",
      "-e",
      "trace=openat,fsync,fdatasync,rename,renameat,renameat2,execve",
      "-o",
      join(traces, "t"),
      CLI,
      "exec",
      "--json",
      "compact",
      "--",
      "true",
    ],
    { cwd: w, env: cliEnv(), stdout: "pipe", stderr: "pipe" },
  );
  const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  expect(code).toBe(0);
  const summary = jsonLines(stdout).at(-1) as Record<string, unknown>;
  const manifest = manifestOf(w, summary);
  expect(manifest.status).toBe("succeeded");
  expect(metricsLines(w).map((l) => l.run_id)).toEqual([manifest.run_id]);

  const calls = tracedCalls(traces);
  // The command's own execve is in its process's file.
  const commandStart = Math.min(
    ...readdirSync(traces).flatMap((file) =>
      readFileSync(join(traces, file), "utf8")
        .split("\n")
        .filter((line) => /execve\("[^"]*\/true"/.test(line))
        .map((line) => Number(line.split(" ")[0])),
    ),
  );
  expect(Number.isFinite(commandStart)).toBe(true);

  const isManifestTemp = (path: string) => /\/\.manifest\.json\.\d+\.[0-9a-f]+\.tmp$/.test(path);
  const renames = calls.filter((c) => c.name.startsWith("rename") && basename(quoted(c.args, 1)) === "manifest.json");
  const first = renames[0];
  if (first === undefined) throw new Error("no manifest rename traced");
  const synced = fsyncedPaths(calls);
  // The first manifest: its temporary file fsync'd, and the flush over before the command's execve.
  const firstSync = synced.find((s) => s.path === quoted(first.args, 0));
  expect(firstSync?.end ?? Number.POSITIVE_INFINITY).toBeLessThan(commandStart);
  // After the command: a manifest save flushed (the final status), and run-summary.json and metrics.json.
  const after = synced.filter((s) => s.end > commandStart).map((s) => s.path);
  expect(after.some(isManifestTemp)).toBe(true);
  expect(after.some((p) => /\/\.run-summary\.json\.\d+\.[0-9a-f]+\.tmp$/.test(p))).toBe(true);
  expect(after.some((p) => p.endsWith("/metrics.json"))).toBe(true);
  expect(renames.length).toBeGreaterThanOrEqual(2);
}, 60_000);
