/**
 * The executor's cost per stage (issue 3): a 20-stage pipeline of `true` through the compiled CLI (`start`) against the
 * same 20 commands (`/bin/sh -c true`, what a stage spawns) in a shell loop, measured in the same run, medians of
 * several interleaved runs. Per-stage overhead = (T(20 stages) − T(1 stage)) / 19 − loop / 20, so the CLI's start-up
 * and the run's fixed bookkeeping (manifest creation, metrics line, state.json) are not counted against the stages.
 * Target: ≤ 1 ms per stage over the shell loop (issue 21; the loop's own cost per command is already subtracted).
 *
 *   bun run bench/pipeline.ts [runs]      (binary: CODEX_ORCHESTRATOR_BENCH_BIN / _TEST_BIN or dist/codex-orchestrator)
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { benchEnv, binaryPath, ensureBinary, interleaved, round, scratch, timedRun, wallMedian } from "./lib.ts";

export const STAGES = 20;
export const PER_STAGE_TARGET_MS = 1;

export type PipelineBench = {
  stages: number;
  runs: number;
  loopMs: number;
  oneStageMs: number;
  twentyStagesMs: number;
  perStageOverheadMs: number;
  ratio: number;
  targetMs: number;
};

export async function benchPipeline(cli: string, runs = 15): Promise<PipelineBench> {
  const s = scratch("co-bench-pipeline-");
  try {
    const stage = (i: number) => ({ kind: "command", id: `s${i}`, title: `s${i}`, command: "true" });
    writeFileSync(
      join(s.dir, "codex.orchestrator.json"),
      JSON.stringify({
        pipelines: [
          { id: "one", title: "One", stages: [stage(1)] },
          { id: "twenty", title: "Twenty", stages: Array.from({ length: STAGES }, (_, i) => stage(i + 1)) },
        ],
      }),
    );
    const opts = { cwd: s.dir, env: benchEnv(s.home) };
    const samples = await interleaved(
      {
        loop: () => timedRun(["/bin/sh", "-c", `for i in $(seq ${STAGES}); do /bin/sh -c true; done`], opts),
        one: () => timedRun([cli, "start", "one"], opts),
        twenty: () => timedRun([cli, "start", "twenty"], opts),
      },
      runs,
      1,
    );
    const loopMs = wallMedian(samples.loop);
    const oneStageMs = wallMedian(samples.one);
    const twentyStagesMs = wallMedian(samples.twenty);
    return {
      stages: STAGES,
      runs,
      loopMs: round(loopMs),
      oneStageMs: round(oneStageMs),
      twentyStagesMs: round(twentyStagesMs),
      perStageOverheadMs: round((twentyStagesMs - oneStageMs) / (STAGES - 1) - loopMs / STAGES, 3),
      ratio: round(twentyStagesMs / loopMs),
      targetMs: PER_STAGE_TARGET_MS,
    };
  } finally {
    s.dispose();
  }
}

export function formatPipeline(r: PipelineBench): string {
  return [
    `pipeline: ${r.stages} stages of \`true\`, medians of ${r.runs} interleaved runs`,
    `  shell loop (${r.stages} × sh -c true)       ${r.loopMs.toFixed(1)} ms (${(r.loopMs / r.stages).toFixed(2)} ms per command)`,
    `  start, 1 stage                        ${r.oneStageMs.toFixed(1)} ms (CLI start-up + run bookkeeping)`,
    `  start, ${r.stages} stages                      ${r.twentyStagesMs.toFixed(1)} ms (ratio to the loop ${r.ratio.toFixed(1)})`,
    `  executor overhead per stage           ${r.perStageOverheadMs.toFixed(2)} ms (target ≤ ${r.targetMs} ms: ${r.perStageOverheadMs <= r.targetMs ? "met" : "NOT met"})`,
  ].join("\n");
}

if (import.meta.main) {
  const cli = binaryPath();
  await ensureBinary(cli);
  const r = await benchPipeline(cli, Number(process.argv[2] ?? 15));
  console.log(formatPipeline(r));
  console.log(JSON.stringify({ bench: "pipeline", ...r }));
}
