/**
 * The cost of the in-binary sandbox (issue 15, issue 21): `exec --json compact --sandbox read-only -- true` (Landlock +
 * seccomp; the shipping path is the sandbox thread, started at the executable's entry: src/exec/sandbox-thread.ts),
 * the same with the thread started with its attempt (`CODEX_ORCHESTRATOR_SANDBOX_PRESPAWN=0`), the same through the
 * re-executed helper started ahead of its command (`CODEX_ORCHESTRATOR_SANDBOX_THREAD=0`: src/exec/sandbox-prespawn.ts),
 * against `exec -- true` unsandboxed, and the helper alone (`codex-orchestrator __sandbox-exec <policy> -- true`)
 * against a bare spawn of `true` and a compiled hello-world; and a 10-stage pipeline, sandboxed both ways and not. All
 * interleaved in one run, medians after a warm-up. No bubblewrap is involved (`--sandbox-backend landlock`). Targets:
 * ≤ 5 ms added per exec (issue 15), ≤ 1.3× the unsandboxed exec (issue 21).
 * `CODEX_ORCHESTRATOR_BENCH_BASELINE_BIN=<binary>` adds that binary's helper and sandboxed exec to the same series
 * (an older build: before/after in one run).
 *
 *   bun run bench/sandbox.ts [runs]     (binary: CODEX_ORCHESTRATOR_BENCH_BIN / _TEST_BIN or dist/codex-orchestrator)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { probeLandlockAbi } from "../src/exec/landlock.ts";
import { benchEnv, binaryPath, buildHello, cpuMedian, ensureBinary, interleaved, round, type Sample, scratch, timedRun, wallMedian } from "./lib.ts";

export const SANDBOX_TARGET_MS = 5;
export const SANDBOX_TARGET_RATIO = 1.3;
/** Stages of the pipeline figures. */
export const PIPELINE_STAGES = 10;

type Figure = { ms: number; cpuMs: number };

export type SandboxBench =
  | { skipped: string }
  | {
      runs: number;
      landlockAbi: number;
      loadAverage: number;
      trueMs: number;
      /** A bare compiled Bun program: the floor of any re-executed helper. */
      helloMs: number;
      helloCpuMs: number;
      helperMs: number;
      helperCpuMs: number;
      helperAddedMs: number;
      /** Helper alone ÷ hello-world. */
      helperToHello: number;
      execMs: number;
      execCpuMs: number;
      /** The shipping path: the sandbox thread, started at the executable's entry. */
      execSandboxedMs: number;
      execSandboxedCpuMs: number;
      addedMs: number;
      addedCpuMs: number;
      ratio: number;
      /** The thread started with its attempt (CODEX_ORCHESTRATOR_SANDBOX_PRESPAWN=0). */
      execSandboxedLateMs: number;
      addedLateMs: number;
      ratioLate: number;
      /** The helper instead of the thread, started ahead of its command (CODEX_ORCHESTRATOR_SANDBOX_THREAD=0). */
      execSandboxedHelperMs: number;
      execSandboxedHelperCpuMs: number;
      addedHelperMs: number;
      ratioHelper: number;
      /** `start` of a pipeline of PIPELINE_STAGES × `true`: sandboxed (read-only, Landlock) and not, per stage. */
      pipelineStages: number;
      pipelineOpenMs: number;
      pipelineSandboxedMs: number;
      /** Added per sandboxed stage (the shipping path: one thread per policy, reused by every stage). */
      addedPerStageMs: number;
      /** The same through the helper, one kept waiting for the next stage (CODEX_ORCHESTRATOR_SANDBOX_THREAD=0). */
      addedPerStageHelperMs: number;
      /** The baseline binary's figures, when one was given. */
      baseline: { bin: string; helperMs: number; execMs: number; execSandboxedMs: number; addedMs: number; ratio: number } | null;
      targetMs: number;
      targetRatio: number;
    };

export async function benchSandbox(cli: string, runs = 21): Promise<SandboxBench> {
  const { abi, reason } = probeLandlockAbi();
  if (abi < 3) return { skipped: `Landlock ABI ≥ 3 not available (${reason ?? `ABI ${abi}`})` };
  const s = scratch("co-bench-sandbox-");
  try {
    const opts = { cwd: s.dir, env: benchEnv(s.home) };
    const lateOpts = { cwd: s.dir, env: benchEnv(s.home, { CODEX_ORCHESTRATOR_SANDBOX_PRESPAWN: "0" }) };
    const helperOpts = { cwd: s.dir, env: benchEnv(s.home, { CODEX_ORCHESTRATOR_SANDBOX_THREAD: "0" }) };
    const hello = await buildHello(s.dir);
    const policy = JSON.stringify({ v: 1, mode: "read-only", write: [], net: false });
    const sandboxed = ["exec", "--json", "compact", "--sandbox", "read-only", "--sandbox-backend", "landlock", "--", "true"];
    const stages = Array.from({ length: PIPELINE_STAGES }, (_, i) => ({ kind: "command", id: `s${i + 1}`, title: `s${i + 1}`, command: "true" }));
    writeFileSync(
      join(s.dir, "codex.orchestrator.json"),
      JSON.stringify({
        sandboxBackend: "landlock",
        pipelines: [
          { id: "open", title: "Open", stages },
          { id: "boxed", title: "Boxed", sandbox: "read-only", stages },
        ],
      }),
    );
    const base = process.env.CODEX_ORCHESTRATOR_BENCH_BASELINE_BIN;
    const variants: Record<string, () => Promise<Sample>> = {
      true: () => timedRun(["true"], opts),
      hello: () => timedRun([hello], opts),
      helper: () => timedRun([cli, "__sandbox-exec", policy, "--", "true"], opts),
      exec: () => timedRun([cli, "exec", "--json", "compact", "--", "true"], opts),
      sandboxed: () => timedRun([cli, ...sandboxed], opts),
      late: () => timedRun([cli, ...sandboxed], lateOpts),
      viaHelper: () => timedRun([cli, ...sandboxed], helperOpts),
      pipeOpen: () => timedRun([cli, "start", "open"], opts),
      pipeBoxed: () => timedRun([cli, "start", "boxed"], opts),
      pipeBoxedHelper: () => timedRun([cli, "start", "boxed"], helperOpts),
    };
    if (base !== undefined) {
      variants.baseHelper = () => timedRun([base, "__sandbox-exec", policy, "--", "true"], opts);
      variants.baseExec = () => timedRun([base, "exec", "--json", "compact", "--", "true"], opts);
      variants.baseSandboxed = () => timedRun([base, ...sandboxed], opts);
    }
    const loadBefore = loadAverage();
    const samples = await interleaved(variants, runs, 3);
    const f = (name: string): Figure => ({ ms: wallMedian(samples[name] ?? []), cpuMs: cpuMedian(samples[name] ?? []) });
    const [t, h, helper, exec, sbx, late, via] = ["true", "hello", "helper", "exec", "sandboxed", "late", "viaHelper"].map(f) as Figure[] as [
      Figure,
      Figure,
      Figure,
      Figure,
      Figure,
      Figure,
      Figure,
    ];
    const [po, pb, ph] = ["pipeOpen", "pipeBoxed", "pipeBoxedHelper"].map(f) as [Figure, Figure, Figure];
    let baseline = null;
    if (base !== undefined) {
      const [bh, be, bs] = ["baseHelper", "baseExec", "baseSandboxed"].map(f) as [Figure, Figure, Figure];
      baseline = { bin: base, helperMs: round(bh.ms), execMs: round(be.ms), execSandboxedMs: round(bs.ms), addedMs: round(bs.ms - be.ms), ratio: round(bs.ms / be.ms, 3) };
    }
    return {
      runs,
      landlockAbi: abi,
      loadAverage: round((loadBefore + loadAverage()) / 2),
      trueMs: round(t.ms),
      helloMs: round(h.ms),
      helloCpuMs: round(h.cpuMs),
      helperMs: round(helper.ms),
      helperCpuMs: round(helper.cpuMs),
      helperAddedMs: round(helper.ms - t.ms),
      helperToHello: round(helper.ms / h.ms, 3),
      execMs: round(exec.ms),
      execCpuMs: round(exec.cpuMs),
      execSandboxedMs: round(sbx.ms),
      execSandboxedCpuMs: round(sbx.cpuMs),
      addedMs: round(sbx.ms - exec.ms),
      addedCpuMs: round(sbx.cpuMs - exec.cpuMs),
      ratio: round(sbx.ms / exec.ms, 3),
      execSandboxedLateMs: round(late.ms),
      addedLateMs: round(late.ms - exec.ms),
      ratioLate: round(late.ms / exec.ms, 3),
      execSandboxedHelperMs: round(via.ms),
      execSandboxedHelperCpuMs: round(via.cpuMs),
      addedHelperMs: round(via.ms - exec.ms),
      ratioHelper: round(via.ms / exec.ms, 3),
      pipelineStages: PIPELINE_STAGES,
      pipelineOpenMs: round(po.ms),
      pipelineSandboxedMs: round(pb.ms),
      addedPerStageMs: round((pb.ms - po.ms) / PIPELINE_STAGES),
      addedPerStageHelperMs: round((ph.ms - po.ms) / PIPELINE_STAGES),
      baseline,
      targetMs: SANDBOX_TARGET_MS,
      targetRatio: SANDBOX_TARGET_RATIO,
    };
  } finally {
    s.dispose();
  }
}

/** The 1-minute load average (how busy the shared machine was), NaN where /proc/loadavg cannot be read. */
function loadAverage(): number {
  try {
    return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
  } catch {
    return Number.NaN;
  }
}

const met = (ok: boolean) => (ok ? "met" : "NOT met");

export function formatSandbox(r: SandboxBench): string {
  if ("skipped" in r) return `sandbox: skipped (${r.skipped})`;
  const lines = [
    `sandbox: Landlock ABI ${r.landlockAbi}, medians of ${r.runs} interleaved runs, load average ${r.loadAverage.toFixed(2)}`,
    `  true (bare spawn)                                  ${r.trueMs.toFixed(1)} ms`,
    `  bare compiled Bun hello-world                      ${r.helloMs.toFixed(1)} ms (cpu ${r.helloCpuMs.toFixed(1)} ms)`,
    `  __sandbox-exec <read-only> -- true (helper alone)  ${r.helperMs.toFixed(1)} ms (+${r.helperAddedMs.toFixed(1)} ms over true, ${r.helperToHello.toFixed(2)}× hello-world; cpu ${r.helperCpuMs.toFixed(1)} ms)`,
    `  exec --json compact -- true                        ${r.execMs.toFixed(1)} ms (cpu ${r.execCpuMs.toFixed(1)} ms)`,
    `  exec … --sandbox read-only -- true (thread)        ${r.execSandboxedMs.toFixed(1)} ms (cpu ${r.execSandboxedCpuMs.toFixed(1)} ms): +${r.addedMs.toFixed(1)} ms (cpu +${r.addedCpuMs.toFixed(1)} ms), ratio ${r.ratio.toFixed(3)} (targets ≤ +${r.targetMs} ms: ${met(r.addedMs <= r.targetMs)}; ≤ ${r.targetRatio}×: ${met(r.ratio <= r.targetRatio)})`,
    `  the same, thread started with its attempt          ${r.execSandboxedLateMs.toFixed(1)} ms: +${r.addedLateMs.toFixed(1)} ms, ratio ${r.ratioLate.toFixed(3)} (CODEX_ORCHESTRATOR_SANDBOX_PRESPAWN=0)`,
    `  the same through the helper (no thread)            ${r.execSandboxedHelperMs.toFixed(1)} ms (cpu ${r.execSandboxedHelperCpuMs.toFixed(1)} ms): +${r.addedHelperMs.toFixed(1)} ms, ratio ${r.ratioHelper.toFixed(3)} (CODEX_ORCHESTRATOR_SANDBOX_THREAD=0)`,
    `  start of ${r.pipelineStages} × true, read-only        ${r.pipelineSandboxedMs.toFixed(1)} ms vs ${r.pipelineOpenMs.toFixed(1)} ms unsandboxed: +${r.addedPerStageMs.toFixed(1)} ms per stage (one thread for the policy); +${r.addedPerStageHelperMs.toFixed(1)} ms through the helper (one kept waiting)`,
  ];
  if (r.baseline !== null) {
    const b = r.baseline;
    lines.push(
      `  baseline ${b.bin}: helper alone ${b.helperMs.toFixed(1)} ms; exec ${b.execMs.toFixed(1)} ms, sandboxed ${b.execSandboxedMs.toFixed(1)} ms: +${b.addedMs.toFixed(1)} ms, ratio ${b.ratio.toFixed(3)}`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const cli = binaryPath();
  await ensureBinary(cli);
  const r = await benchSandbox(cli, Number(process.argv[2] ?? 21));
  console.log(formatSandbox(r));
  console.log(JSON.stringify({ bench: "sandbox", ...r }));
}
