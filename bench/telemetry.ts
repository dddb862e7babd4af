/**
 * Export overhead (issue 6): `exec --json compact -- true` with `--otel-endpoint` pointing at a live OTLP/HTTP receiver
 * on 127.0.0.1 (answers 200 to every POST, counts them) against the same run without telemetry. Interleaved runs,
 * medians after a warm-up; the receiver must have seen one export per telemetry run.
 *
 * Misbehaving collectors (SPEC §20, issue 16: measured here, not in the tests): the same run against a collector that
 * hangs, one that answers 500 and a closed port; what each adds to the run must stay within the 2 s export budget at
 * exit (plus the process's own exit).
 *
 *   bun run bench/telemetry.ts [runs]
 */
import { SHUTDOWN_BUDGET_MS } from "../src/telemetry/tracing.ts";
import { benchEnv, binaryPath, ensureBinary, interleaved, round, scratch, timedRun, wallMedian } from "./lib.ts";

/** What a faulty collector may add beyond the budget: SDK load, the request backstop's grace, the exit. */
const FAULT_SLACK_MS = 300;

export type FaultBench = {
  runs: number;
  plainMs: number;
  /** Added wall time per run against `plainMs`, by collector behaviour. */
  addedMs: { hang: number; status500: number; refused: number };
  worstAddedMs: number;
  targetMs: number;
};

export type TelemetryBench = {
  runs: number;
  plainMs: number;
  exportMs: number;
  overheadMs: number;
  ratio: number;
  posts: number;
  faults: FaultBench;
};

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
    const faults = await benchFaults(cli, Math.max(2, Math.ceil(runs / 5)));
    return { runs, plainMs: round(plainMs), exportMs: round(exportMs), overheadMs: round(exportMs - plainMs), ratio: round(exportMs / plainMs), posts, faults };
  } finally {
    server.stop(true);
    s.dispose();
  }
}

/** `exec -- true` against a hanging collector, a collector answering 500 and a closed port, against the plain run. */
export async function benchFaults(cli: string, runs = 3): Promise<FaultBench> {
  const s = scratch("co-bench-telemetry-faults-");
  // A collector that reads the request and never answers (the CLI's export budget has to cut it off).
  const hang = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Promise<Response>(() => undefined) });
  const failing = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(null, { status: 500 }) });
  const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(null) });
  const refusedPort = closed.port;
  closed.stop(true);
  try {
    const opts = { cwd: s.dir, env: benchEnv(s.home) };
    const exec = (endpoint: string) => () => timedRun([cli, "exec", "--json", "compact", "--otel-endpoint", endpoint, "--", "true"], opts);
    const samples = await interleaved(
      {
        plain: () => timedRun([cli, "exec", "--json", "compact", "--", "true"], opts),
        hang: exec(`http://127.0.0.1:${hang.port}`),
        status500: exec(`http://127.0.0.1:${failing.port}`),
        refused: exec(`http://127.0.0.1:${refusedPort}`),
      },
      runs,
      1,
    );
    const plainMs = wallMedian(samples.plain);
    const added = (name: "hang" | "status500" | "refused") => round(wallMedian(samples[name]) - plainMs);
    const addedMs = { hang: added("hang"), status500: added("status500"), refused: added("refused") };
    return {
      runs,
      plainMs: round(plainMs),
      addedMs,
      worstAddedMs: Math.max(addedMs.hang, addedMs.status500, addedMs.refused),
      targetMs: SHUTDOWN_BUDGET_MS + FAULT_SLACK_MS,
    };
  } finally {
    hang.stop(true);
    failing.stop(true);
    s.dispose();
  }
}

export function formatTelemetry(r: TelemetryBench): string {
  return [
    `telemetry: exec -- true, medians of ${r.runs} interleaved runs, live OTLP receiver on 127.0.0.1 (${r.posts} exports received)`,
    `  without telemetry                     ${r.plainMs.toFixed(1)} ms`,
    `  with --otel-endpoint                  ${r.exportMs.toFixed(1)} ms (overhead ${r.overheadMs.toFixed(1)} ms; ratio ${r.ratio.toFixed(2)})`,
    `misbehaving collectors, medians of ${r.faults.runs} interleaved runs, added to the plain run (${r.faults.plainMs.toFixed(1)} ms):`,
    `  hanging collector                     +${r.faults.addedMs.hang.toFixed(0)} ms`,
    `  collector answering 500               +${r.faults.addedMs.status500.toFixed(0)} ms`,
    `  connection refused                    +${r.faults.addedMs.refused.toFixed(0)} ms (target ≤ ${r.faults.targetMs} ms each)`,
  ].join("\n");
}

if (import.meta.main) {
  const cli = binaryPath();
  await ensureBinary(cli);
  const r = await benchTelemetry(cli, Number(process.argv[2] ?? 15));
  console.log(formatTelemetry(r));
  console.log(JSON.stringify({ bench: "telemetry", ...r }));
}
