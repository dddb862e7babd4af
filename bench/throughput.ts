/**
 * Bulk output through `exec --jsonl` (issues 2, 21): the CLI runs `sh -c 'head -c N /dev/zero | tr "\0" a'` with its
 * own stdout to /dev/null; wall time and peak RSS of the CLI process (`/usr/bin/time -f %M`, both variants under it)
 * against the same shell pipeline run bare with stdout to /dev/null, interleaved, medians. Every byte is chunked into
 * `exec:chunk` events, printed, and written to the run logs. 50 MB is the main figure; 10 MB and 200 MB are run too
 * (fewer times), because the peak must not depend on the size.
 * Targets (issue 21): 50 MB ≤ 3 × the bare pipeline of the same run; peak RSS ≤ 48 MiB at every size.
 *
 * A third variant shows what the runtime itself costs: `floor`, a compiled Bun program (same flags as the CLI) that
 * only spawns the same pipeline, reads its stdout as the CLI does and writes the bytes to its stdout and to a log file
 * in 256 KiB batches — no chunking, no JSON, no run record. The binaries' pages are dropped from the page cache before
 * the series (`dropPageCache`), so the peak RSS does not depend on whether the binary was just built. With
 * CODEX_ORCHESTRATOR_BENCH_BEFORE=<another build>, that build's `exec --jsonl` joins the same interleaved series.
 *
 *   bun run bench/throughput.ts [runs]
 */
import { benchEnv, binaryPath, buildCompiled, dropPageCache, ensureBinary, interleaved, round, rssMedian, scratch, timedRun, wallMedian } from "./lib.ts";

export const BYTES = 50_000_000;
/** The other sizes, each run `max(1, runs - 2)` times: the peak RSS must be the same at 10 MB and at 200 MB. */
export const OTHER_SIZES = [10_000_000, 200_000_000];
export const RATIO_TARGET = 3;
export const RSS_TARGET_MIB = 48;
const producer = (bytes: number) => `head -c ${bytes} /dev/zero | tr "\\0" a`;

/** The runtime's floor: read a command's stdout through Bun.spawn's pipe, write it to stdout and to a log file. */
const FLOOR_SOURCE = `
import { openSync, writeSync } from "node:fs";
const [command, log] = process.argv.slice(2);
const proc = Bun.spawn(["/bin/sh", "-c", command], { stdout: "pipe", stderr: "ignore", lazy: true });
const reader = proc.stdout.getReader();
const fd = openSync(log, "a");
const batch = new Uint8Array(256 * 1024);
let used = 0;
for (;;) {
  const { done, value } = await reader.read();
  if (done) break;
  writeSync(1, value);
  for (let at = 0; at < value.byteLength; ) {
    const n = Math.min(batch.byteLength - used, value.byteLength - at);
    batch.set(value.subarray(at, at + n), used);
    used += n;
    at += n;
    if (used === batch.byteLength) {
      writeSync(fd, batch, 0, used);
      used = 0;
    }
  }
  value.buffer.transfer?.(0);
}
writeSync(fd, batch, 0, used);
process.exit(await proc.exited);
`;

export type SizeFigures = {
  bytes: number;
  runs: number;
  bareMs: number;
  execMs: number;
  ratio: number;
  execMaxPeakRssMiB: number;
  /** The runtime's floor program (see above): wall time, ratio to bare, max peak RSS. */
  floorMs: number;
  floorRatio: number;
  floorMaxPeakRssMiB: number;
  /** The CODEX_ORCHESTRATOR_BENCH_BEFORE binary in the same series, when given. */
  before?: { execMs: number; ratio: number; execMaxPeakRssMiB: number };
};

export type ThroughputBench = {
  runs: number;
  bytes: number;
  bareMs: number;
  execMs: number;
  ratio: number;
  execPeakRssMiB: number;
  execMaxPeakRssMiB: number;
  barePeakRssMiB: number;
  /** Every size measured (50 MB included), for the size-independence of the peak. */
  sizes: SizeFigures[];
  /** Max peak RSS over every size. */
  maxPeakRssMiB: number;
  ratioTarget: number;
  rssTargetMiB: number;
  /** Whether the binaries' pages were dropped from the page cache before the series. */
  pageCacheDropped: boolean;
};

export const throughputRatioMet = (r: ThroughputBench) => r.ratio <= r.ratioTarget;
export const throughputRssMet = (r: ThroughputBench) => r.maxPeakRssMiB <= r.rssTargetMiB;

export async function benchThroughput(cli: string, runs = 5, before = process.env.CODEX_ORCHESTRATOR_BENCH_BEFORE): Promise<ThroughputBench> {
  const s = scratch("co-bench-throughput-");
  try {
    const opts = { cwd: s.dir, env: benchEnv(s.home), rss: true };
    const floor = await buildCompiled(s.dir, "floor", FLOOR_SOURCE);
    const floorLog = `${s.dir}/floor.log`;
    const pageCacheDropped = [cli, floor, ...(before === undefined ? [] : [before])].every(dropPageCache);
    const execOf = (bin: string, bytes: number) => () => timedRun([bin, "exec", "--jsonl", "--", "/bin/sh", "-c", producer(bytes)], opts);
    const measure = (bytes: number, n: number) =>
      interleaved(
        {
          bare: () => timedRun(["/bin/sh", "-c", producer(bytes)], opts),
          floor: () => timedRun([floor, producer(bytes), floorLog], opts),
          exec: execOf(cli, bytes),
          ...(before === undefined ? {} : { before: execOf(before, bytes) }),
        } as Record<"bare" | "floor" | "exec" | "before", () => ReturnType<typeof timedRun>>,
        n,
        1,
      );
    const samples = await measure(BYTES, runs);
    const figures = (bytes: number, n: number, x: Awaited<ReturnType<typeof measure>>): SizeFigures => ({
      bytes,
      runs: n,
      bareMs: round(wallMedian(x.bare)),
      execMs: round(wallMedian(x.exec)),
      ratio: round(wallMedian(x.exec) / wallMedian(x.bare)),
      execMaxPeakRssMiB: round(Math.max(...x.exec.map((y) => y.maxRssMiB)), 1),
      floorMs: round(wallMedian(x.floor)),
      floorRatio: round(wallMedian(x.floor) / wallMedian(x.bare)),
      floorMaxPeakRssMiB: round(Math.max(...x.floor.map((y) => y.maxRssMiB)), 1),
      ...(x.before === undefined || x.before.length === 0
        ? {}
        : {
            before: {
              execMs: round(wallMedian(x.before)),
              ratio: round(wallMedian(x.before) / wallMedian(x.bare)),
              execMaxPeakRssMiB: round(Math.max(...x.before.map((y) => y.maxRssMiB)), 1),
            },
          }),
    });
    const main = figures(BYTES, runs, samples);
    const sizes = [main];
    for (const bytes of OTHER_SIZES) {
      const n = Math.max(1, runs - 2);
      sizes.push(figures(bytes, n, await measure(bytes, n)));
    }
    sizes.sort((a, b) => a.bytes - b.bytes);
    return {
      runs,
      bytes: BYTES,
      bareMs: main.bareMs,
      execMs: main.execMs,
      ratio: main.ratio,
      execPeakRssMiB: round(rssMedian(samples.exec), 1),
      execMaxPeakRssMiB: main.execMaxPeakRssMiB,
      barePeakRssMiB: round(rssMedian(samples.bare), 1),
      sizes,
      maxPeakRssMiB: Math.max(...sizes.map((x) => x.execMaxPeakRssMiB)),
      ratioTarget: RATIO_TARGET,
      rssTargetMiB: RSS_TARGET_MIB,
      pageCacheDropped,
    };
  } finally {
    s.dispose();
  }
}

export function formatThroughput(r: ThroughputBench): string {
  const ratioOk = throughputRatioMet(r) ? "met" : "NOT met";
  const rssOk = throughputRssMet(r) ? "met" : "NOT met";
  return [
    `throughput: 50 MB of output, medians of ${r.runs} interleaved runs, stdout to /dev/null`,
    `  sh -c 'head | tr' (bare)              ${r.bareMs.toFixed(0)} ms, peak RSS ${r.barePeakRssMiB.toFixed(1)} MiB`,
    `  exec --jsonl -- sh -c 'head | tr'     ${r.execMs.toFixed(0)} ms (ratio ${r.ratio.toFixed(2)}; target ≤ ${r.ratioTarget}: ${ratioOk})`,
    `  exec peak RSS                         median ${r.execPeakRssMiB.toFixed(1)} MiB, max ${r.execMaxPeakRssMiB.toFixed(1)} MiB (binaries' pages dropped from the page cache first: ${r.pageCacheDropped ? "yes" : "no"})`,
    ...r.sizes.map(
      (x) =>
        `  ${`${x.bytes / 1_000_000} MB`.padEnd(7)} (${x.runs} runs)                      exec ${x.execMs.toFixed(0)} ms vs bare ${x.bareMs.toFixed(0)} ms (ratio ${x.ratio.toFixed(2)}), max peak RSS ${x.execMaxPeakRssMiB.toFixed(1)} MiB; runtime floor ${x.floorMs.toFixed(0)} ms (ratio ${x.floorRatio.toFixed(2)}), ${x.floorMaxPeakRssMiB.toFixed(1)} MiB${x.before === undefined ? "" : `; before: ${x.before.execMs.toFixed(0)} ms (ratio ${x.before.ratio.toFixed(2)}), ${x.before.execMaxPeakRssMiB.toFixed(1)} MiB`}`,
    ),
    `  max peak RSS over the sizes           ${r.maxPeakRssMiB.toFixed(1)} MiB (target ≤ ${r.rssTargetMiB} MiB at every size: ${rssOk})`,
  ].join("\n");
}

if (import.meta.main) {
  const cli = binaryPath();
  await ensureBinary(cli);
  const r = await benchThroughput(cli, Number(process.argv[2] ?? 5));
  console.log(formatThroughput(r));
  console.log(JSON.stringify({ bench: "throughput", ...r }));
}
