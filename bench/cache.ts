/**
 * The stage cache's hit path (issue 18): a 20-stage pipeline whose every stage hits the cache (each with an input file,
 * an output file to restore and a line of output to replay) through `start`, against the start-up of
 * `exec --json compact -- true` (a whole recorded run of one command) measured in the same run. Interleaved runs,
 * medians after a warm-up run that fills the cache. Target: the cached pipeline ≤ 2× the exec.
 *
 *   bun run bench/cache.ts [runs]      (binary: CODEX_ORCHESTRATOR_BENCH_BIN / _TEST_BIN or dist/codex-orchestrator)
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { benchEnv, binaryPath, ensureBinary, interleaved, round, scratch, timedRun, wallMedian } from "./lib.ts";

export const CACHED_STAGES = 20;
export const CACHE_TARGET_RATIO = 2;

export type CacheBench = {
  stages: number;
  runs: number;
  execMs: number;
  cachedMs: number;
  coldMs: number;
  ratio: number;
  target: number;
};

export async function benchCache(cli: string, runs = 15): Promise<CacheBench> {
  const s = scratch("co-bench-cache-");
  try {
    mkdirSync(join(s.dir, "src"));
    const stage = (i: number) => {
      writeFileSync(join(s.dir, "src", `in${i}.txt`), `input ${i}\n`.repeat(100));
      return {
        kind: "command",
        id: `s${i}`,
        title: `s${i}`,
        command: `mkdir -p out && cp src/in${i}.txt out/out${i}.txt && echo stage ${i}`,
        inputs: [`src/in${i}.txt`],
        outputs: [`out/out${i}.txt`],
      };
    };
    writeFileSync(
      join(s.dir, "codex.orchestrator.json"),
      JSON.stringify({ pipelines: [{ id: "twenty", title: "Twenty", stages: Array.from({ length: CACHED_STAGES }, (_, i) => stage(i + 1)) }] }),
    );
    const opts = { cwd: s.dir, env: benchEnv(s.home, { CODEX_ORCHESTRATOR_CACHE_DIR: join(s.home, "stage-cache") }) };
    // Not interleaved: one run with the store filled, to compare with the hits (each stage really runs).
    const cold = await timedRun([cli, "start", "twenty"], opts);
    const samples = await interleaved(
      {
        exec: () => timedRun([cli, "exec", "--json", "compact", "--", "true"], opts),
        cached: () => timedRun([cli, "start", "twenty"], opts),
      },
      runs,
      2,
    );
    // Proof that the timed runs were hits: the last run's manifest has every stage `cached`.
    const runsDir = join(s.dir, ".runs", "bench", "cli");
    const lastRun = readdirSync(runsDir).sort().filter((id) => JSON.parse(readFileSync(join(runsDir, id, "manifest.json"), "utf8")).pipeline_id === "twenty").at(-1);
    const manifest = JSON.parse(readFileSync(join(runsDir, lastRun as string, "manifest.json"), "utf8"));
    const cachedStages = manifest.commands.filter((c: { status: string }) => c.status === "cached").length;
    if (cachedStages !== CACHED_STAGES) throw new Error(`bench/cache: ${cachedStages} of ${CACHED_STAGES} stages were cache hits`);
    const execMs = wallMedian(samples.exec);
    const cachedMs = wallMedian(samples.cached);
    return {
      stages: cachedStages,
      runs,
      execMs: round(execMs),
      cachedMs: round(cachedMs),
      coldMs: round(cold.wallMs),
      ratio: round(cachedMs / execMs),
      target: CACHE_TARGET_RATIO,
    };
  } finally {
    s.dispose();
  }
}

export function formatCache(r: CacheBench): string {
  return [
    `cache: ${r.stages} stages, every one a hit (input, output file restored, output replayed); medians of ${r.runs} interleaved runs`,
    `  exec --json compact -- true           ${r.execMs.toFixed(1)} ms`,
    `  start, ${r.stages} cached stages             ${r.cachedMs.toFixed(1)} ms (ratio ${r.ratio.toFixed(2)} to exec; target ≤ ${r.target}: ${r.ratio <= r.target ? "met" : "NOT met"})`,
    `  start, ${r.stages} stages filling the cache  ${r.coldMs.toFixed(1)} ms (one run)`,
  ].join("\n");
}

if (import.meta.main) {
  const cli = binaryPath();
  await ensureBinary(cli);
  const r = await benchCache(cli, Number(process.argv[2] ?? 15));
  console.log(formatCache(r));
  console.log(JSON.stringify({ bench: "cache", ...r }));
}
