/**
 * The executor's cost per stage: a 20-stage pipeline of `true` through the compiled CLI (`start`) against the same
 * 20 commands (`/bin/sh -c true`, what a stage spawns) in a shell loop, measured in the same run, medians of several
 * runs. Per-stage overhead = (T(20 stages) − T(1 stage)) / 19 − loop / 20, so the CLI's start-up and the run's fixed
 * bookkeeping (manifest creation, metrics line, state.json) are not counted against the stages.
 *
 *   bun run bench/pipeline.ts [runs]      (binary: CODEX_ORCHESTRATOR_TEST_BIN or dist/codex-orchestrator)
 *
 * Prints human lines, then one JSON line (`{"bench":"pipeline",...}`) for a harness to collect.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const runs = Number(process.argv[2] ?? 9);
const STAGES = 20;
const cli = process.env.CODEX_ORCHESTRATOR_TEST_BIN ?? join(import.meta.dir, "../dist/codex-orchestrator");
const work = mkdtempSync(join(tmpdir(), "co-bench-pipeline-"));

const stage = (i: number) => ({ kind: "command", id: `s${i}`, title: `s${i}`, command: "true" });
writeFileSync(
  join(work, "codex.orchestrator.json"),
  JSON.stringify({
    pipelines: [
      { id: "one", title: "One", stages: [stage(1)] },
      { id: "twenty", title: "Twenty", stages: Array.from({ length: STAGES }, (_, i) => stage(i + 1)) },
    ],
  }),
);
const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: work, MCP_RUNNER_TASK_ID: "bench" };

async function timed(argv: string[]): Promise<number> {
  const t = performance.now();
  const proc = Bun.spawn(argv, { cwd: work, env, stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  const code = await proc.exited;
  const ms = performance.now() - t;
  if (code !== 0) throw new Error(`${argv.join(" ")} exited ${code}`);
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

const loop = ["/bin/sh", "-c", `for i in $(seq ${STAGES}); do /bin/sh -c true; done`];
const variants = {
  loop: () => timed(loop),
  one: () => timed([cli, "start", "one"]),
  twenty: () => timed([cli, "start", "twenty"]),
};

try {
  // Warm-up (page cache, first-run costs), then interleaved runs so machine noise hits every variant alike.
  for (const run of Object.values(variants)) await run();
  const samples: Record<keyof typeof variants, number[]> = { loop: [], one: [], twenty: [] };
  for (let i = 0; i < runs; i++) {
    for (const [name, run] of Object.entries(variants)) samples[name as keyof typeof variants].push(await run());
  }
  const loopMs = median(samples.loop);
  const oneMs = median(samples.one);
  const twentyMs = median(samples.twenty);
  const perStageMs = (twentyMs - oneMs) / (STAGES - 1) - loopMs / STAGES;
  const ratio = twentyMs / loopMs;
  console.log(`pipeline: ${STAGES} stages of \`true\`, median of ${runs} runs`);
  console.log(`  shell loop (${STAGES} × sh -c true) ${loopMs.toFixed(1)} ms  (${(loopMs / STAGES).toFixed(2)} ms per command)`);
  console.log(`  start, 1 stage                 ${oneMs.toFixed(1)} ms  (CLI start-up + run bookkeeping)`);
  console.log(`  start, ${STAGES} stages                ${twentyMs.toFixed(1)} ms  (ratio to the loop: ${ratio.toFixed(1)}×)`);
  console.log(`  executor overhead per stage    ${perStageMs.toFixed(2)} ms  (target ≤ 3 ms; the original Node tool: about 12 ms)`);
  console.log(
    JSON.stringify({
      bench: "pipeline",
      stages: STAGES,
      runs,
      loopMs: +loopMs.toFixed(2),
      oneStageMs: +oneMs.toFixed(2),
      twentyStagesMs: +twentyMs.toFixed(2),
      perStageOverheadMs: +perStageMs.toFixed(3),
      ratio: +ratio.toFixed(2),
    }),
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
