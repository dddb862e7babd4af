/**
 * Shared machinery of the torture suite (`npm run torture`, issue 10): spawning the compiled CLI with a unique
 * marker in its environment, finding every process that inherited that marker (leftovers), a seeded random source
 * so a failing kill schedule can be replayed, and integrity checks of a whole run store.
 *
 * Files of this folder are named `*.torture.ts` so that the normal `bun test` never discovers them.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { MetricsLine } from "../../src/core/schemas/records.ts";
import { commandLines, processesWithEnv } from "../helpers/processes.ts";
import { readValidManifest } from "../helpers/runs.ts";
import { waitFor } from "../helpers/wait.ts";
import { CLI, cliEnv } from "../helpers/cli.ts";

export { CLI };

/** Name of the variable every torture CLI run carries; its descendants inherit it, which is how leftovers are found. */
export const MARKER_VAR = "CODEX_TORTURE_MARKER";

/** A fresh marker for one case. */
export function newMarker(): string {
  return `torture-${randomUUID()}`;
}

/** Environment of a torture run: `cliEnv` (task t1), private XDG dirs (no user-global config or grants) and the marker. */
export function tortureEnv(w: string, marker: string, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const xdg = join(w, ".xdg");
  mkdirSync(xdg, { recursive: true });
  return cliEnv({ XDG_CONFIG_HOME: xdg, XDG_STATE_HOME: xdg, XDG_CACHE_HOME: xdg, [MARKER_VAR]: marker, ...extra });
}

export type Spawned = {
  proc: ReturnType<typeof Bun.spawn>;
  stdout: Promise<Uint8Array>;
  stderr: Promise<string>;
  /** Resolves with the exit code (or 128 + signal) once the process and both pipes are done. */
  done: Promise<{ code: number; stdout: string; stdoutBytes: Uint8Array; stderr: string; ms: number }>;
};

/** Spawns the CLI (stdin /dev/null, output collected). `argv[0]` may be replaced by passing a full command. */
export function spawnCli(args: string[], options: { cwd: string; env: Record<string, string>; command?: string[] }): Spawned {
  const started = performance.now();
  const proc = Bun.spawn(options.command ?? [CLI, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const stdout = new Response(proc.stdout as ReadableStream).bytes();
  const stderr = new Response(proc.stderr as ReadableStream).text();
  const done = Promise.all([stdout, stderr, proc.exited]).then(([bytes, err]) => ({
    code: proc.exitCode ?? 128 + signalNumber(proc.signalCode === null ? null : String(proc.signalCode)),
    stdout: new TextDecoder().decode(bytes),
    stdoutBytes: bytes,
    stderr: err,
    ms: performance.now() - started,
  }));
  return { proc, stdout, stderr, done };
}

function signalNumber(sig: string | null): number {
  return sig === "SIGKILL" ? 9 : sig === "SIGTERM" ? 15 : sig === "SIGINT" ? 2 : 0;
}

/** Runs the CLI to completion (killed after `timeoutMs`, which then fails the case through its exit code 137). */
export async function runCli(args: string[], options: { cwd: string; env: Record<string, string>; timeoutMs?: number }) {
  const s = spawnCli(args, options);
  const timer = setTimeout(() => s.proc.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  try {
    return await s.done;
  } finally {
    clearTimeout(timer);
  }
}

/** Live (non-zombie) processes whose environment holds `<MARKER_VAR>=<marker>`, except `exclude`. Linux /proc. */
export function markedProcesses(marker: string, exclude: number[] = []): number[] {
  return processesWithEnv(MARKER_VAR, marker, exclude);
}

/**
 * Processes of `marker` still alive after a grace period (exiting processes get `graceMs` to go). Used after every
 * case: the CLI must not leave any descendant behind.
 */
export async function leftovers(marker: string, graceMs = 2_000): Promise<string[]> {
  const gone = await waitFor(() => markedProcesses(marker).length === 0, graceMs, 100).catch(() => false);
  return gone ? [] : commandLines(markedProcesses(marker));
}

/** SIGKILLs every process of `marker` (cleanup after a case that found leftovers, so later cases start clean). */
export async function reap(marker: string): Promise<number> {
  const pids = markedProcesses(marker);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  const until = performance.now() + 3_000;
  while (markedProcesses(marker).length > 0 && performance.now() < until) await Bun.sleep(50);
  return pids.length;
}

/** mulberry32: a small seeded generator, so a kill schedule can be replayed with `TORTURE_SEED`. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The suite's seed: `TORTURE_SEED` or a random one (always printed, so a failure can be replayed). */
export function suiteSeed(): number {
  const given = Number(process.env.TORTURE_SEED);
  return Number.isInteger(given) && given > 0 ? given : Math.floor(Math.random() * 2 ** 31) + 1;
}

/** Every regular file under `dir` (absolute paths); none when it does not exist. */
export function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

export type StoreReport = {
  manifests: string[];
  /** Run directories that hold no manifest (a run killed or failing before its first save). */
  runDirsWithoutManifest: string[];
  /** Leftover temporary files of atomic writes (a kill between write and rename). */
  tempFiles: string[];
  /** Every metrics line, parsed and schema-checked. */
  metrics: MetricsLine[];
};

/**
 * Checks a whole run store: every manifest validates against the valibot `Manifest` and `schemas/cli-manifest.json`,
 * every other `.json` parses (metrics.json: every line is a valid metrics line), every line of every `.ndjson` log is
 * a JSON object. Throws a message naming the first broken file.
 */
export function checkStore(runsDir: string): StoreReport {
  const report: StoreReport = { manifests: [], runDirsWithoutManifest: [], tempFiles: [], metrics: [] };
  const files = filesUnder(runsDir);
  for (const file of files) {
    const name = file.slice(file.lastIndexOf("/") + 1);
    if (name.endsWith(".tmp")) {
      report.tempFiles.push(file);
      continue;
    }
    const text = readFileSync(file, "utf8");
    if (name === "manifest.json") {
      readValidManifest(file);
      report.manifests.push(file);
    } else if (name === "metrics.json") {
      for (const [i, line] of text.split("\n").entries()) {
        if (line === "" && i === text.split("\n").length - 1) continue;
        let doc: unknown;
        try {
          doc = JSON.parse(line);
        } catch {
          throw new Error(`${file}: line ${i + 1} is not JSON: ${line.slice(0, 120)}`);
        }
        if (!v.is(MetricsLine, doc)) throw new Error(`${file}: line ${i + 1} is not a valid metrics line`);
        report.metrics.push(doc);
      }
    } else if (name.endsWith(".ndjson")) {
      const lines = text.split("\n");
      if (lines.at(-1) !== "") throw new Error(`${file}: the last line is cut (no trailing newline): …${text.slice(-80)}`);
      for (const [i, line] of lines.slice(0, -1).entries()) {
        try {
          JSON.parse(line);
        } catch {
          throw new Error(`${file}: line ${i + 1} is not JSON: ${line.slice(0, 120)}`);
        }
      }
    } else if (name.endsWith(".json")) {
      try {
        JSON.parse(text);
      } catch (error) {
        throw new Error(`${file}: not JSON (${(error as Error).message})`);
      }
    }
  }
  for (const task of safeList(runsDir)) {
    for (const run of safeList(join(runsDir, task, "cli"))) {
      if (!files.includes(join(runsDir, task, "cli", run, "manifest.json"))) report.runDirsWithoutManifest.push(join(task, "cli", run));
    }
  }
  return report;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/** The JSONL events of a CLI stdout (every non-empty line must parse). */
export function jsonlEvents(stdout: string): { type: string; seq: number; payload: Record<string, unknown> }[] {
  return stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
}

/** Bytes of the `exec:chunk` events of one stream, reassembled (base64 chunks decoded). */
export function chunkBytes(chunks: { stream?: unknown; data?: unknown; encoding?: unknown }[], stream = "stdout"): Buffer {
  const parts: Buffer[] = [];
  for (const c of chunks) {
    if (c.stream !== stream) continue;
    parts.push(c.encoding === "base64" ? Buffer.from(String(c.data), "base64") : Buffer.from(String(c.data), "utf8"));
  }
  return Buffer.concat(parts);
}

/** The `exec:chunk` lines of an ndjson log (fields at top level, SPEC §9.7). */
export function logChunks(path: string): Record<string, unknown>[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l))
    .filter((e) => e.type === "exec:chunk");
}
