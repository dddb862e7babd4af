/**
 * Exec start-up (issue 2): `codex-orchestrator exec --json compact -- true` end to end (a whole recorded run: manifest,
 * logs, heartbeat, run-summary, metrics line) against a bare compiled Bun program built with the same flags and
 * against the raw command `true`, plus `--version` (start-up alone). Interleaved runs, medians after a warm-up.
 * Target: exec ≤ 55 ms median.
 *
 *   bun run bench/startup.ts [runs]     (binary: CODEX_ORCHESTRATOR_BENCH_BIN / _TEST_BIN or dist/codex-orchestrator)
 */
import { benchEnv, binaryPath, buildHello, cpuMedian, ensureBinary, interleaved, round, scratch, timedRun, wallMedian } from "./lib.ts";

export const EXEC_TARGET_MS = 55;

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
  targetMs: number;
};

export async function benchStartup(cli: string, runs = 21): Promise<StartupBench> {
  const s = scratch("co-bench-startup-");
  try {
    const hello = await buildHello(s.dir);
    const env = benchEnv(s.home);
    const opts = { cwd: s.dir, env };
    const samples = await interleaved(
      {
        true: () => timedRun(["true"], opts),
        hello: () => timedRun([hello], opts),
        version: () => timedRun([cli, "--version"], opts),
        exec: () => timedRun([cli, "exec", "--json", "compact", "--", "true"], opts),
      },
      runs,
      3,
    );
    const execMs = wallMedian(samples.exec);
    const helloMs = wallMedian(samples.hello);
    const trueMs = wallMedian(samples.true);
    return {
      runs,
      trueMs: round(trueMs),
      helloMs: round(helloMs),
      versionMs: round(wallMedian(samples.version)),
      execMs: round(execMs),
      execCpuMs: round(cpuMedian(samples.exec)),
      helloCpuMs: round(cpuMedian(samples.hello)),
      ratioToHello: round(execMs / helloMs),
      ratioToTrue: round(execMs / trueMs),
      targetMs: EXEC_TARGET_MS,
    };
  } finally {
    s.dispose();
  }
}

export function formatStartup(r: StartupBench): string {
  return [
    `startup: medians of ${r.runs} interleaved runs`,
    `  true (raw command)                    ${r.trueMs.toFixed(1)} ms`,
    `  bare compiled Bun hello-world         ${r.helloMs.toFixed(1)} ms (cpu ${r.helloCpuMs.toFixed(1)} ms)`,
    `  codex-orchestrator --version          ${r.versionMs.toFixed(1)} ms`,
    `  codex-orchestrator exec -- true       ${r.execMs.toFixed(1)} ms (cpu ${r.execCpuMs.toFixed(1)} ms); ratio ${r.ratioToHello.toFixed(2)} to hello, ${r.ratioToTrue.toFixed(1)} to true (target ≤ ${r.targetMs} ms: ${r.execMs <= r.targetMs ? "met" : "NOT met"})`,
  ].join("\n");
}

if (import.meta.main) {
  const cli = binaryPath();
  await ensureBinary(cli);
  const r = await benchStartup(cli, Number(process.argv[2] ?? 21));
  console.log(formatStartup(r));
  console.log(JSON.stringify({ bench: "startup", ...r }));
}
