/**
 * Shared helpers of the benchmarks: statistics, timed child processes (wall time, CPU time and peak RSS from the
 * child's own rusage), the binary under test, a bare compiled Bun program built with the project's build flags, and
 * scratch directories. Benchmarks measure speed; tests never do (ARCHITECTURE.md).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const REPO_ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

export const round = (x: number, digits = 2) => Number(x.toFixed(digits));

export type Sample = { wallMs: number; cpuMs: number; maxRssMiB: number; code: number | null };

const TIME = "/usr/bin/time";
let scratchCounter = 0;

/**
 * Runs argv to completion (stdin, stdout and stderr on /dev/null) and returns its wall time and CPU time (user +
 * system, from the child's rusage). With `rss`, the command runs under `/usr/bin/time -f %M` and `maxRssMiB` is its
 * peak resident set (the child's own high-water mark; Bun's `resourceUsage().maxRSS` was seen to report the maximum
 * over earlier children too, so it is not used). Throws when the command does not exit 0 (unless `allowFailure`).
 */
export async function timedRun(
  argv: string[],
  options: { cwd: string; env: Record<string, string>; allowFailure?: boolean; rss?: boolean },
): Promise<Sample> {
  let rssFile: string | null = null;
  let spawned = argv;
  if (options.rss) {
    if (!existsSync(TIME)) throw new Error(`${TIME} is needed to measure peak RSS (Debian package: time)`);
    rssFile = join(options.cwd, `.rss-${process.pid}-${++scratchCounter}`);
    spawned = [TIME, "-f", "%M", "-o", rssFile, ...argv];
  }
  const t = performance.now();
  const proc = Bun.spawn(spawned, { cwd: options.cwd, env: options.env, stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  const code = await proc.exited;
  const wallMs = performance.now() - t;
  if (code !== 0 && !options.allowFailure) throw new Error(`${argv.join(" ")} exited ${code}`);
  const usage = proc.resourceUsage();
  const cpuMs = usage ? Number(usage.cpuTime.user + usage.cpuTime.system) / 1000 : Number.NaN;
  let maxRssMiB = Number.NaN;
  if (rssFile !== null) {
    const lines = readFileSync(rssFile, "utf8").trim().split("\n");
    maxRssMiB = Number(lines[lines.length - 1]) / 1024;
    rmSync(rssFile, { force: true });
  }
  return { wallMs, cpuMs, maxRssMiB, code };
}

/**
 * Runs every variant `runs` times after `warmup` rounds, interleaved (variant A, B, C, A, B, C, …) so that the load of
 * a shared machine hits each variant alike. Returns the samples of each variant by name.
 */
export async function interleaved<K extends string>(
  variants: Record<K, () => Promise<Sample>>,
  runs: number,
  warmup = 2,
): Promise<Record<K, Sample[]>> {
  const names = Object.keys(variants) as K[];
  const out = Object.fromEntries(names.map((n) => [n, [] as Sample[]])) as Record<K, Sample[]>;
  for (let i = 0; i < warmup + runs; i++) {
    for (const name of names) {
      const sample = await variants[name]();
      if (i >= warmup) out[name].push(sample);
    }
  }
  return out;
}

export const wallMedian = (samples: readonly Sample[]) => median(samples.map((s) => s.wallMs));
export const cpuMedian = (samples: readonly Sample[]) => median(samples.map((s) => s.cpuMs));
export const rssMedian = (samples: readonly Sample[]) => median(samples.map((s) => s.maxRssMiB));

/** The binary under test: `CODEX_ORCHESTRATOR_BENCH_BIN`, `CODEX_ORCHESTRATOR_TEST_BIN`, else `dist/codex-orchestrator`. */
export function binaryPath(): string {
  return (
    process.env.CODEX_ORCHESTRATOR_BENCH_BIN ?? process.env.CODEX_ORCHESTRATOR_TEST_BIN ?? join(REPO_ROOT, "dist/codex-orchestrator")
  );
}

/** Builds `dist/codex-orchestrator` with `build.ts` when the binary under test does not exist yet. */
export async function ensureBinary(path: string): Promise<void> {
  if (existsSync(path)) return;
  const { buildBinary } = await import("../build.ts");
  console.log(`bench: building ${path}`);
  await buildBinary({ outfile: path });
}

/**
 * A bare compiled Bun program (prints one line) built with the same flags as `build.ts` (compile, minify, bytecode,
 * ESM, autoload off, the same JIT policy): the floor any compiled Bun CLI pays to start.
 */
export async function buildHello(dir: string): Promise<string> {
  return buildCompiled(dir, "hello", 'console.log("hello");\n');
}

/** `source` compiled into `<dir>/<name>` with the same flags as `build.ts` (a baseline program of a bench). */
export async function buildCompiled(dir: string, name: string, source: string): Promise<string> {
  const { JIT_POLICY } = await import("../build.ts");
  const entry = join(dir, `${name}.ts`);
  const outfile = join(dir, name);
  writeFileSync(entry, source);
  const result = await Bun.build({
    entrypoints: [entry],
    compile: {
      outfile,
      autoloadDotenv: false,
      autoloadBunfig: false,
      autoloadTsconfig: false,
      autoloadPackageJson: false,
      jitPolicy: JIT_POLICY,
    } as never,
    format: "esm",
    bytecode: true,
    minify: true,
    sourcemap: "none",
  });
  if (!result.success) throw new Error(`could not compile the ${name} baseline: ${result.logs.join("; ")}`);
  return outfile;
}

/**
 * Drops a file's pages from the page cache (`dd iflag=nocache count=0`), so that every variant of a series starts
 * from the same state. A binary just written (by the build, an install) has all its pages cached, and the kernel then
 * maps up to 64 KiB of cached pages around each page a process touches: the same executable was measured at 45.0
 * MiB peak right after it was written and 39.1 MiB once its pages had been dropped and read again (issue 21). False
 * when `dd` cannot do it.
 */
export function dropPageCache(path: string): boolean {
  const proc = Bun.spawnSync(["dd", `if=${path}`, "iflag=nocache", "count=0", "status=none"], { stdout: "ignore", stderr: "ignore" });
  return proc.exitCode === 0;
}

/** A scratch directory (realpath) with a `home/` inside, removed by `dispose`. */
export function scratch(prefix: string): { dir: string; home: string; dispose: () => void } {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  const home = join(dir, "home");
  mkdirSync(home);
  return { dir, home, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Environment of a CLI run: PATH, a scratch HOME (no user-global config or approval cache of the person running the
 * bench), a bench task id, none of our own variables.
 */
export function benchEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_STATE_HOME: join(home, ".local/state"),
    MCP_RUNNER_TASK_ID: "bench",
    ...extra,
  };
}

/** Machine facts recorded with every result (the machine may be shared: the load average says how busy it was). */
export async function machineInfo(): Promise<{ nproc: number; cpu: string; loadavg: number[]; date: string; bun: string }> {
  const os = await import("node:os");
  const cpus = os.cpus();
  return {
    nproc: cpus.length,
    cpu: cpus[0]?.model ?? "unknown",
    loadavg: os.loadavg().map((x) => round(x, 2)),
    date: new Date().toISOString(),
    bun: Bun.version,
  };
}
