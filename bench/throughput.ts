/**
 * 50 MB through `exec --jsonl` (issue 2): the CLI runs `sh -c 'head -c 50000000 /dev/zero | tr "\0" a'` with its own
 * stdout to /dev/null; wall time and peak RSS of the CLI process (`/usr/bin/time -f %M`, both variants under it)
 * against the same shell pipeline run bare with stdout to /dev/null. Every byte is chunked into `exec:chunk` events,
 * printed, and written twice to the run logs. Targets: ≤ 1 s and ≤ 64 MiB.
 *
 *   bun run bench/throughput.ts [runs]
 */
import { benchEnv, binaryPath, ensureBinary, interleaved, round, rssMedian, scratch, timedRun, wallMedian } from "./lib.ts";

export const BYTES = 50_000_000;
export const WALL_TARGET_MS = 1000;
export const RSS_TARGET_MIB = 64;
const PRODUCER = `head -c ${BYTES} /dev/zero | tr "\\0" a`;

export type ThroughputBench = {
  runs: number;
  bytes: number;
  bareMs: number;
  execMs: number;
  ratio: number;
  execPeakRssMiB: number;
  execMaxPeakRssMiB: number;
  barePeakRssMiB: number;
  wallTargetMs: number;
  rssTargetMiB: number;
};

export async function benchThroughput(cli: string, runs = 5): Promise<ThroughputBench> {
  const s = scratch("co-bench-throughput-");
  try {
    const opts = { cwd: s.dir, env: benchEnv(s.home), rss: true };
    const samples = await interleaved(
      {
        bare: () => timedRun(["/bin/sh", "-c", PRODUCER], opts),
        exec: () => timedRun([cli, "exec", "--jsonl", "--", "/bin/sh", "-c", PRODUCER], opts),
      },
      runs,
      1,
    );
    const bareMs = wallMedian(samples.bare);
    const execMs = wallMedian(samples.exec);
    return {
      runs,
      bytes: BYTES,
      bareMs: round(bareMs),
      execMs: round(execMs),
      ratio: round(execMs / bareMs),
      execPeakRssMiB: round(rssMedian(samples.exec), 1),
      execMaxPeakRssMiB: round(Math.max(...samples.exec.map((x) => x.maxRssMiB)), 1),
      barePeakRssMiB: round(rssMedian(samples.bare), 1),
      wallTargetMs: WALL_TARGET_MS,
      rssTargetMiB: RSS_TARGET_MIB,
    };
  } finally {
    s.dispose();
  }
}

export function formatThroughput(r: ThroughputBench): string {
  const wallOk = r.execMs <= r.wallTargetMs ? "met" : "NOT met";
  const rssOk = r.execMaxPeakRssMiB <= r.rssTargetMiB ? "met" : "NOT met";
  return [
    `throughput: 50 MB of output, medians of ${r.runs} interleaved runs, stdout to /dev/null`,
    `  sh -c 'head | tr' (bare)              ${r.bareMs.toFixed(0)} ms, peak RSS ${r.barePeakRssMiB.toFixed(1)} MiB`,
    `  exec --jsonl -- sh -c 'head | tr'     ${r.execMs.toFixed(0)} ms (ratio ${r.ratio.toFixed(2)}; target ≤ ${r.wallTargetMs} ms: ${wallOk})`,
    `  exec peak RSS                         median ${r.execPeakRssMiB.toFixed(1)} MiB, max ${r.execMaxPeakRssMiB.toFixed(1)} MiB (target ≤ ${r.rssTargetMiB} MiB: ${rssOk})`,
  ].join("\n");
}

if (import.meta.main) {
  const cli = binaryPath();
  await ensureBinary(cli);
  const r = await benchThroughput(cli, Number(process.argv[2] ?? 5));
  console.log(formatThroughput(r));
  console.log(JSON.stringify({ bench: "throughput", ...r }));
}
