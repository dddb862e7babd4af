/**
 * The graph executor (issue 17): four independent `sleep 0.5` stages and a fifth that needs them, run by `start` at
 * concurrency 4, against the longest path measured in the same run (`sleep 0.5; true` in a shell: what the graph
 * cannot beat) and against the same pipeline at concurrency 1 (the sum). Target: wall ≤ longest path × 1.3 + the
 * CLI's own one-stage cost, i.e. the four run side by side.
 *
 *   bun run bench/graph.ts [runs]      (binary: CODEX_ORCHESTRATOR_BENCH_BIN / _TEST_BIN or dist/codex-orchestrator)
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { benchEnv, binaryPath, ensureBinary, interleaved, round, scratch, timedRun, wallMedian } from "./lib.ts";

export type GraphBench = {
  runs: number;
  longestPathMs: number;
  oneStageMs: number;
  graphMs: number;
  sequentialMs: number;
  /** graph wall time over (longest path + one-stage CLI cost). */
  ratio: number;
  target: number;
};

export async function benchGraph(cli: string, runs = 5): Promise<GraphBench> {
  const s = scratch("co-bench-graph-");
  try {
    const stage = (id: string, command: string, needs?: string[]) => ({ kind: "command", id, title: id, command, ...(needs ? { needs } : {}) });
    const four = ["a", "b", "c", "d"];
    writeFileSync(
      join(s.dir, "codex.orchestrator.json"),
      JSON.stringify({
        pipelines: [
          { id: "graph", title: "Graph", stages: [...four.map((id) => stage(id, "sleep 0.5")), stage("e", "true", four)] },
          { id: "one", title: "One", stages: [stage("x", "true")] },
        ],
      }),
    );
    const opts = { cwd: s.dir, env: benchEnv(s.home) };
    const samples = await interleaved(
      {
        path: () => timedRun(["/bin/sh", "-c", "sleep 0.5; /bin/sh -c true"], opts),
        one: () => timedRun([cli, "start", "one"], opts),
        graph: () => timedRun([cli, "start", "graph", "--concurrency", "4"], opts),
        sequential: () => timedRun([cli, "start", "graph", "--concurrency", "1"], opts),
      },
      runs,
      1,
    );
    const longestPathMs = wallMedian(samples.path);
    const oneStageMs = wallMedian(samples.one);
    const graphMs = wallMedian(samples.graph);
    return {
      runs,
      longestPathMs: round(longestPathMs),
      oneStageMs: round(oneStageMs),
      graphMs: round(graphMs),
      sequentialMs: round(wallMedian(samples.sequential)),
      ratio: round(graphMs / (longestPathMs + oneStageMs)),
      target: 1.3,
    };
  } finally {
    s.dispose();
  }
}

export function formatGraph(r: GraphBench): string {
  return [
    `graph: 4 × sleep 0.5 then 1 stage needing them, medians of ${r.runs} interleaved runs`,
    `  longest path (sh: sleep 0.5; sh -c true)  ${r.longestPathMs.toFixed(1)} ms`,
    `  start, 1 stage of true                    ${r.oneStageMs.toFixed(1)} ms (the CLI's fixed cost)`,
    `  start graph --concurrency 4               ${r.graphMs.toFixed(1)} ms (ratio to path + fixed cost ${r.ratio.toFixed(2)}, target ≤ ${r.target})`,
    `  start graph --concurrency 1               ${r.sequentialMs.toFixed(1)} ms (the sum)`,
  ].join("\n");
}

if (import.meta.main) {
  const cli = binaryPath();
  await ensureBinary(cli);
  const r = await benchGraph(cli, Number(process.argv[2] ?? 5));
  console.log(formatGraph(r));
  console.log(JSON.stringify({ bench: "graph", ...r }));
}
