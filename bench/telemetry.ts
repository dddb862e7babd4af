/**
 * Export overhead (issue 6): `exec --json compact -- true` with `--otel-endpoint` pointing at a live OTLP/HTTP receiver
 * on 127.0.0.1 (answers 200 to every POST, counts them) against the same run without telemetry. Interleaved runs,
 * medians after a warm-up; the receiver must have seen one export per telemetry run.
 *
 *   bun run bench/telemetry.ts [runs]
 */
import { benchEnv, binaryPath, ensureBinary, interleaved, round, scratch, timedRun, wallMedian } from "./lib.ts";

export type TelemetryBench = { runs: number; plainMs: number; exportMs: number; overheadMs: number; ratio: number; posts: number };

export async function benchTelemetry(cli: string, runs = 15): Promise<TelemetryBench> {
  const s = scratch("co-bench-telemetry-");
  let posts = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      if (req.method === "POST") {
        await req.arrayBuffer();
        posts += 1;
      }
      return new Response(null, { status: 200 });
    },
  });
  try {
    const opts = { cwd: s.dir, env: benchEnv(s.home) };
    const endpoint = `http://127.0.0.1:${server.port}`;
    const warmup = 2;
    const samples = await interleaved(
      {
        plain: () => timedRun([cli, "exec", "--json", "compact", "--", "true"], opts),
        export: () => timedRun([cli, "exec", "--json", "compact", "--otel-endpoint", endpoint, "--", "true"], opts),
      },
      runs,
      warmup,
    );
    if (posts < runs + warmup) throw new Error(`the receiver saw ${posts} exports for ${runs + warmup} runs`);
    const plainMs = wallMedian(samples.plain);
    const exportMs = wallMedian(samples.export);
    return { runs, plainMs: round(plainMs), exportMs: round(exportMs), overheadMs: round(exportMs - plainMs), ratio: round(exportMs / plainMs), posts };
  } finally {
    server.stop(true);
    s.dispose();
  }
}

export function formatTelemetry(r: TelemetryBench): string {
  return [
    `telemetry: exec -- true, medians of ${r.runs} interleaved runs, live OTLP receiver on 127.0.0.1 (${r.posts} exports received)`,
    `  without telemetry                     ${r.plainMs.toFixed(1)} ms`,
    `  with --otel-endpoint                  ${r.exportMs.toFixed(1)} ms (overhead ${r.overheadMs.toFixed(1)} ms; ratio ${r.ratio.toFixed(2)})`,
  ].join("\n");
}

if (import.meta.main) {
  const cli = binaryPath();
  await ensureBinary(cli);
  const r = await benchTelemetry(cli, Number(process.argv[2] ?? 15));
  console.log(formatTelemetry(r));
  console.log(JSON.stringify({ bench: "telemetry", ...r }));
}
