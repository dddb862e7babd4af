/**
 * Exec start-up (issue 2): `codex-orchestrator exec --json compact -- true` end to end (a whole recorded run: manifest,
 * logs, heartbeat, run-summary, metrics line) against a bare compiled Bun program built with the same flags and
 * against the raw command `true`, plus `--version` (start-up alone). Interleaved runs, medians after a warm-up.
 * Targets (issue 21): exec ≤ 2.0 × the hello-world measured in the same run, peak RSS ≤ 32 MiB (max of the runs,
 * `/usr/bin/time -f %M`, as for every variant here).
 *
 *   bun run bench/startup.ts [runs]     (binary: CODEX_ORCHESTRATOR_BENCH_BIN / _TEST_BIN or dist/codex-orchestrator)
 *
 * With CODEX_ORCHESTRATOR_BENCH_BEFORE=<another build> that binary's `exec -- true` and `--version` join the same
 * interleaved series (before/after figures of one run).
 */
import { benchEnv, binaryPath, buildHello, cpuMedian, ensureBinary, interleaved, round, rssMedian, type Sample, scratch, timedRun, wallMedian } from "./lib.ts";

/** Issue 21: `exec --json compact -- true` at most this many times the bare compiled hello-world of the same run. */
export const EXEC_TARGET_RATIO = 2.0;
export const EXEC_RSS_TARGET_MIB = 32;

export type StartupBench = {
  runs: number;
  trueMs: number;
  helloMs: number;
  versionMs: number;
  execMs: number;
  execCpuMs: number;
  helloCpuMs: number;
  ratioToHello: number;
  ratioToTrue: number;
  /** Peak RSS: median of the hello-world runs, max of the exec runs. */
  helloPeakRssMiB: number;
  execMaxPeakRssMiB: number;
  targetRatio: number;
  rssTargetMiB: number;
  /** The CODEX_ORCHESTRATOR_BENCH_BEFORE binary in the same series, when given. */
  before?: { binary: string; versionMs: number; execMs: number; execCpuMs: number; ratioToHello: number; execMaxPeakRssMiB: number };
};

export async function benchStartup(cli: string, runs = 21, before = process.env.CODEX_ORCHESTRATOR_BENCH_BEFORE): Promise<StartupBench> {
  const s = scratch("co-bench-startup-");
  try {
    const hello = await buildHello(s.dir);
    const env = benchEnv(s.home);
    const opts = { cwd: s.dir, env };
    const execArgv = (bin: string) => [bin, "exec", "--json", "compact", "--", "true"];
    const variants: Record<string, () => Promise<Sample>> = {
      true: () => timedRun(["true"], opts),
      hello: () => timedRun([hello], opts),
      version: () => timedRun([cli, "--version"], opts),
      exec: () => timedRun(execArgv(cli), opts),
    };
    if (before !== undefined) {
      variants.beforeVersion = () => timedRun([before, "--version"], opts);
      variants.beforeExec = () => timedRun(execArgv(before), opts);
    }
    const samples = (await interleaved(variants, runs, 3)) as Record<string, Sample[]>;
    // Peak RSS in runs of their own under /usr/bin/time, so that its start does not count in the wall times above.
    const rssVariants: Record<string, () => Promise<Sample>> = {
      hello: () => timedRun([hello], { ...opts, rss: true }),
      exec: () => timedRun(execArgv(cli), { ...opts, rss: true }),
    };
    if (before !== undefined) rssVariants.beforeExec = () => timedRun(execArgv(before), { ...opts, rss: true });
    const rss = (await interleaved(rssVariants, 3, 0)) as Record<string, Sample[]>;
    const maxRss = (xs: Sample[]) => round(Math.max(...xs.map((x) => x.maxRssMiB)), 1);
    const execMs = wallMedian(samples.exec as Sample[]);
    const helloMs = wallMedian(samples.hello as Sample[]);
    const trueMs = wallMedian(samples.true as Sample[]);
    return {
      runs,
      trueMs: round(trueMs),
      helloMs: round(helloMs),
      versionMs: round(wallMedian(samples.version as Sample[])),
      execMs: round(execMs),
      execCpuMs: round(cpuMedian(samples.exec as Sample[])),
      helloCpuMs: round(cpuMedian(samples.hello as Sample[])),
      ratioToHello: round(execMs / helloMs),
      ratioToTrue: round(execMs / trueMs),
      helloPeakRssMiB: round(rssMedian(rss.hello as Sample[]), 1),
      execMaxPeakRssMiB: maxRss(rss.exec as Sample[]),
      targetRatio: EXEC_TARGET_RATIO,
      rssTargetMiB: EXEC_RSS_TARGET_MIB,
      ...(before === undefined
        ? {}
        : {
            before: {
              binary: before,
              versionMs: round(wallMedian(samples.beforeVersion as Sample[])),
              execMs: round(wallMedian(samples.beforeExec as Sample[])),
              execCpuMs: round(cpuMedian(samples.beforeExec as Sample[])),
              ratioToHello: round(wallMedian(samples.beforeExec as Sample[]) / helloMs),
              execMaxPeakRssMiB: maxRss(rss.beforeExec as Sample[]),
            },
          }),
    };
  } finally {
    s.dispose();
  }
}

export const startupRatioMet = (r: StartupBench) => r.ratioToHello <= r.targetRatio;
export const startupRssMet = (r: StartupBench) => r.execMaxPeakRssMiB <= r.rssTargetMiB;

export function formatStartup(r: StartupBench): string {
  return [
    `startup: medians of ${r.runs} interleaved runs`,
    `  true (raw command)                    ${r.trueMs.toFixed(1)} ms`,
    `  bare compiled Bun hello-world         ${r.helloMs.toFixed(1)} ms (cpu ${r.helloCpuMs.toFixed(1)} ms)`,
    `  codex-orchestrator --version          ${r.versionMs.toFixed(1)} ms`,
    `  codex-orchestrator exec -- true       ${r.execMs.toFixed(1)} ms (cpu ${r.execCpuMs.toFixed(1)} ms); ratio ${r.ratioToHello.toFixed(2)} to hello (target ≤ ${r.targetRatio}: ${startupRatioMet(r) ? "met" : "NOT met"}), ${r.ratioToTrue.toFixed(1)} to true`,
    `  peak RSS                              exec max ${r.execMaxPeakRssMiB.toFixed(1)} MiB (target ≤ ${r.rssTargetMiB} MiB: ${startupRssMet(r) ? "met" : "NOT met"}); hello ${r.helloPeakRssMiB.toFixed(1)} MiB`,
    ...(r.before === undefined
      ? []
      : [
          `  before (${r.before.binary}): --version ${r.before.versionMs.toFixed(1)} ms, exec -- true ${r.before.execMs.toFixed(1)} ms (cpu ${r.before.execCpuMs.toFixed(1)} ms), ratio ${r.before.ratioToHello.toFixed(2)} to hello, peak RSS max ${r.before.execMaxPeakRssMiB.toFixed(1)} MiB`,
        ]),
  ].join("\n");
}

if (import.meta.main) {
  const cli = binaryPath();
  await ensureBinary(cli);
  const r = await benchStartup(cli, Number(process.argv[2] ?? 21));
  console.log(formatStartup(r));
  console.log(JSON.stringify({ bench: "startup", ...r }));
}
