/**
 * `npm run bench`: every benchmark of issue 10, each against a baseline measured in the same run (a bare compiled Bun
 * program, the raw command, a shell loop, a bare spawn, the same run without telemetry), medians of interleaved runs
 * after a warm-up. Builds `dist/codex-orchestrator` first if it is missing. Bounded: about 2–4 minutes on 2 cores.
 *
 *   npm run bench [-- --quick] [-- --out results.json] [-- --only startup,pipeline]
 *
 * The binary under test: CODEX_ORCHESTRATOR_BENCH_BIN, else CODEX_ORCHESTRATOR_TEST_BIN, else dist/codex-orchestrator.
 * Prints each benchmark's lines and one JSON line per benchmark, then a summary against the targets; `--out` also
 * writes every result with the machine facts as one JSON file (what docs/benchmarks.md is written from).
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { benchAutonomy, formatAutonomy } from "./autonomy.ts";
import { benchCache, formatCache } from "./cache.ts";
import { benchMcp, formatMcp } from "./mcp.ts";
import { binaryPath, ensureBinary, machineInfo } from "./lib.ts";
import { benchGraph, formatGraph } from "./graph.ts";
import { benchPipeline, formatPipeline } from "./pipeline.ts";
import { benchSandbox, formatSandbox } from "./sandbox.ts";
import { benchReport, formatReport } from "./report.ts";
import { benchSessions, formatSessionBench } from "./sessions.ts";
import { benchStartup, formatStartup, startupRatioMet, startupRssMet } from "./startup.ts";
import { benchTelemetry, formatTelemetry } from "./telemetry.ts";
import { benchThroughput, formatThroughput, throughputRatioMet, throughputRssMet } from "./throughput.ts";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    out: { type: "string" },
    only: { type: "string" },
  },
});
const quick = values.quick === true;
const only = values.only === undefined ? null : new Set(values.only.split(","));
const wanted = (name: string) => only === null || only.has(name);

const cli = binaryPath();
await ensureBinary(cli);
const machine = await machineInfo();
console.log(`bench: ${cli}`);
console.log(`machine: ${machine.nproc} × ${machine.cpu}, load average ${machine.loadavg.join(" ")}, bun ${machine.bun}, ${machine.date}`);

const results: Record<string, unknown> = {};
const summary: string[] = [];
const started = performance.now();

async function section<T extends object>(name: string, run: () => Promise<T>, format: (r: T) => string, verdict: (r: T) => string): Promise<void> {
  if (!wanted(name)) return;
  const t = performance.now();
  const r = await run();
  results[name] = r;
  console.log(`\n${format(r)}`);
  console.log(JSON.stringify({ bench: name, ...r }));
  console.log(`(${((performance.now() - t) / 1000).toFixed(1)} s)`);
  summary.push(`${name.padEnd(11)} ${verdict(r)}`);
}

const ok = (met: boolean) => (met ? "met" : "NOT MET");

await section(
  "startup",
  () => benchStartup(cli, quick ? 9 : 21),
  formatStartup,
  (r) =>
    `exec -- true ${r.execMs.toFixed(1)} ms = ${r.ratioToHello.toFixed(2)} × hello ${r.helloMs.toFixed(1)} ms (true ${r.trueMs.toFixed(1)} ms) — target ≤ ${r.targetRatio} × ${ok(startupRatioMet(r))}; ` +
    `peak RSS ${r.execMaxPeakRssMiB.toFixed(1)} MiB — target ≤ ${r.rssTargetMiB} MiB ${ok(startupRssMet(r))}`,
);
await section(
  "throughput",
  () => benchThroughput(cli, quick ? 3 : 5),
  formatThroughput,
  (r) =>
    `50 MB ${r.execMs.toFixed(0)} ms = ${r.ratio.toFixed(2)} × bare ${r.bareMs.toFixed(0)} ms — target ≤ ${r.ratioTarget} × ${ok(throughputRatioMet(r))}; ` +
    `peak RSS ${r.sizes.map((x) => `${x.bytes / 1_000_000} MB ${x.execMaxPeakRssMiB.toFixed(1)}`).join(", ")} MiB — target ≤ ${r.rssTargetMiB} MiB ${ok(throughputRssMet(r))}`,
);
await section(
  "pipeline",
  () => benchPipeline(cli, quick ? 5 : 15),
  formatPipeline,
  (r) => `${r.perStageOverheadMs.toFixed(2)} ms per stage (loop ${(r.loopMs / r.stages).toFixed(2)} ms per command) — target ≤ ${r.targetMs} ms ${ok(r.perStageOverheadMs <= r.targetMs)}`,
);
await section(
  "graph",
  () => benchGraph(cli, quick ? 3 : 5),
  formatGraph,
  (r) => `4 parallel stages ${r.graphMs.toFixed(0)} ms vs longest path + fixed cost ${(r.longestPathMs + r.oneStageMs).toFixed(0)} ms (ratio ${r.ratio.toFixed(2)}; sequential ${r.sequentialMs.toFixed(0)} ms) — target ≤ ${r.target} ${ok(r.ratio <= r.target)}`,
);
await section(
  "cache",
  () => benchCache(cli, quick ? 5 : 15),
  formatCache,
  (r) => `${r.stages} cached stages ${r.cachedMs.toFixed(0)} ms vs exec -- true ${r.execMs.toFixed(0)} ms (ratio ${r.ratio.toFixed(2)}; filling the cache ${r.coldMs.toFixed(0)} ms) — target ≤ ${r.target} ${ok(r.ratio <= r.target)}`,
);
await section(
  "sessions",
  () => benchSessions(quick ? 30 : 100, cli),
  formatSessionBench,
  (r) =>
    `reused/fresh ratio ${r.ratio.toFixed(3)} — target ≤ 0.2 ${ok(r.ratio <= 0.2)}; per-command overhead ${r.overheadMedianMs.toFixed(2)} ms — target ≤ 5 ms ${ok(r.overheadMedianMs <= 5)}` +
    (r.cli !== undefined && !("skipped" in r.cli) ? `; CLI session exec/exec ratio ${r.cli.ratio.toFixed(3)}` : ""),
);
await section(
  "autonomy",
  () => benchAutonomy(quick ? 60 : 200),
  formatAutonomy,
  (r) =>
    `added cost p95 ${r.addedCostP95Ms.toFixed(2)} ms — target ≤ ${r.targetMs} ms ${ok(r.addedCostP95Ms <= r.targetMs)}; ` +
    (r.bubblewrapStartupP50Ms === null ? "bubblewrap not available" : `bubblewrap start-up p50 ${r.bubblewrapStartupP50Ms.toFixed(2)} ms`),
);
await section(
  "sandbox",
  () => benchSandbox(cli, quick ? 9 : 21),
  formatSandbox,
  (r) =>
    "skipped" in r
      ? `skipped: ${r.skipped}`
      : `Landlock sandbox +${r.addedMs.toFixed(1)} ms per exec — target ≤ ${r.targetMs} ms ${ok(r.addedMs <= r.targetMs)}; ratio ${r.ratio.toFixed(3)} — target ≤ ${r.targetRatio} ${ok(r.ratio <= r.targetRatio)} (thread started with its attempt +${r.addedLateMs.toFixed(1)} ms; through the helper +${r.addedHelperMs.toFixed(1)} ms; per sandboxed stage +${r.addedPerStageMs.toFixed(1)} ms, helper +${r.addedPerStageHelperMs.toFixed(1)} ms)`,
);
await section(
  "telemetry",
  () => benchTelemetry(cli, quick ? 7 : 15),
  formatTelemetry,
  (r) =>
    `export overhead ${r.overheadMs.toFixed(1)} ms per run (ratio ${r.ratio.toFixed(2)}); ` +
    `a faulty collector adds at most ${r.faults.worstAddedMs.toFixed(0)} ms — target ≤ ${r.faults.targetMs} ms ${ok(r.faults.worstAddedMs <= r.faults.targetMs)}`,
);
await section(
  "mcp",
  () => benchMcp(cli, quick ? 60 : 200),
  formatMcp,
  (r) =>
    `MCP exec of true ${r.execMs.toFixed(1)} ms, ${r.overheadMs.toFixed(1)} ms over the command — target ≤ ${r.targetMs} ms ${ok(r.overheadMs <= r.targetMs)}` +
    (r.overheadTmpfsMs === null ? "" : `; with the run store on tmpfs ${r.overheadTmpfsMs.toFixed(1)} ms`) +
    (r.serverCpuMs === null ? "" : `; server CPU ${r.serverCpuMs.toFixed(2)} ms per call`) +
    (r.baseline === undefined ? "" : `; baseline ${r.baseline.overheadMs.toFixed(1)} ms over (tmpfs ${r.baseline.overheadTmpfsMs?.toFixed(1) ?? "-"}, CPU ${r.baseline.serverCpuMs?.toFixed(2) ?? "-"})`) +
    (r.sandboxed === undefined ? "" : `; a sandboxed call adds ${r.sandboxed.addedMs.toFixed(1)} ms (through the helper ${r.sandboxed.addedHelperMs.toFixed(1)} ms)`),
);

await section(
  "report",
  () => benchReport(cli, quick ? 5 : 9),
  formatReport,
  (r) =>
    "skipped" in r
      ? `skipped (${r.skipped})`
      : `500-command page ${r.pageMs.toFixed(0)} ms to first frame (same-size plain page ${r.baselinePageMs.toFixed(0)} ms, ratio ${r.ratio.toFixed(2)}) — target ≤ ${r.targetMs} ms ${ok(r.pageMs <= r.targetMs)}`,
);

const totalS = (performance.now() - started) / 1000;
const after = await machineInfo();
console.log(`\nsummary (${totalS.toFixed(0)} s; load average before ${machine.loadavg.join(" ")}, after ${after.loadavg.join(" ")}):`);
for (const line of summary) console.log(`  ${line}`);
if (values.out !== undefined) {
  writeFileSync(values.out, `${JSON.stringify({ machine, loadAfter: after.loadavg, totalSeconds: Math.round(totalS), binary: cli, results }, null, 2)}\n`);
  console.log(`results written to ${values.out}`);
}
