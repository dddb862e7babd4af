import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const REPO_ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** The compiled binary under test: `CODEX_ORCHESTRATOR_TEST_BIN` (a private build) or `dist/codex-orchestrator`. */
export const CLI = process.env.CODEX_ORCHESTRATOR_TEST_BIN ?? join(REPO_ROOT, "dist/codex-orchestrator");

/** Every scratch directory this test process made: removed after the last test (`test/helpers/cleanup.ts`). */
const scratchDirs: string[] = [];

/** A fresh scratch directory (realpath, so paths compare equal to what the CLI records), removed after the run. */
export function scratchDir(prefix = "co-test-"): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  scratchDirs.push(dir);
  return dir;
}

/** Removes the scratch directories made so far. */
export function removeScratchDirs(): void {
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Environment for a CLI run: the current PATH, none of our variables, MCP_RUNNER_TASK_ID=t1 unless overridden. */
export function cliEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (k.startsWith("CODEX_ORCHESTRATOR_") || k.startsWith("OTEL_") || k === "TRACEPARENT" || k === "MCP_RUNNER_TASK_ID") continue;
    env[k] = v;
  }
  env.MCP_RUNNER_TASK_ID = "t1";
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export type CliResult = { code: number | null; signal: string | null; stdout: string; stderr: string; stdoutBytes: Uint8Array };

/** Runs the compiled CLI to completion with piped output and stdin /dev/null (or a pipe carrying `options.stdin`). */
export async function runCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number; stdin?: string },
): Promise<CliResult> {
  const proc = Bun.spawn([CLI, ...args], {
    cwd: options.cwd,
    env: cliEnv(options.env),
    stdin: options.stdin === undefined ? "ignore" : new TextEncoder().encode(options.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  const [stdoutBytes, stderr] = await Promise.all([
    new Response(proc.stdout).bytes(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return {
    code: proc.exitCode,
    signal: proc.signalCode == null ? null : String(proc.signalCode),
    stdout: new TextDecoder().decode(stdoutBytes),
    stderr,
    stdoutBytes,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON under test is walked freely
type Json = Record<string, any>;

/** The JSON lines of a CLI's stdout (`--jsonl`) or of an ndjson log, each parsed. */
export function jsonLines(text: string): Json[] {
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
}

/** Starts the CLI in the background (stdin /dev/null, output piped and collected). */
export function spawnCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }) {
  const proc = Bun.spawn([CLI, ...args], { cwd: options.cwd, env: cliEnv(options.env), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const stdout = new Response(proc.stdout).text();
  const stderr = new Response(proc.stderr).text();
  return { proc, stdout, stderr };
}
