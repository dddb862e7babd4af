/**
 * The cost of the in-binary sandbox (issue 15): `exec --json compact --sandbox read-only -- true` (Landlock + seccomp
 * through the re-executed helper) against the same `exec -- true` unsandboxed, and the helper alone
 * (`codex-orchestrator __sandbox-exec <policy> -- true`) against a bare spawn of `true`, all interleaved in one run,
 * medians after a warm-up. No bubblewrap is involved (`--sandbox-backend landlock`). Target (issue 15): ≤ 5 ms added
 * per exec.
 *
 *   bun run bench/sandbox.ts [runs]     (binary: CODEX_ORCHESTRATOR_BENCH_BIN / _TEST_BIN or dist/codex-orchestrator)
 */
import { probeLandlockAbi } from "../src/exec/landlock.ts";
import { benchEnv, binaryPath, buildHello, cpuMedian, ensureBinary, interleaved, round, scratch, timedRun, wallMedian } from "./lib.ts";

export const SANDBOX_TARGET_MS = 5;

export type SandboxBench =
  | { skipped: string }
  | {
      runs: number;
      landlockAbi: number;
      trueMs: number;
      /** A bare compiled Bun program: the floor of any re-executed helper. */
      helloMs: number;
      helperMs: number;
      helperAddedMs: number;
      execMs: number;
      execSandboxedMs: number;
      addedMs: number;
      ratio: number;
      /** CPU time (user + system) of the same runs: less sensitive to a loaded machine than wall time. */
      helperCpuMs: number;
      helloCpuMs: number;
      execCpuMs: number;
      execSandboxedCpuMs: number;
      addedCpuMs: number;
      targetMs: number;
    };

export async function benchSandbox(cli: string, runs = 21): Promise<SandboxBench> {
  const { abi, reason } = probeLandlockAbi();
  if (abi < 3) return { skipped: `Landlock ABI ≥ 3 not available (${reason ?? `ABI ${abi}`})` };
  const s = scratch("co-bench-sandbox-");
  try {
    const opts = { cwd: s.dir, env: benchEnv(s.home) };
    const hello = await buildHello(s.dir);
    const policy = JSON.stringify({ v: 1, mode: "read-only", write: [], net: false });
    const samples = await interleaved(
      {
        true: () => timedRun(["true"], opts),
        hello: () => timedRun([hello], opts),
        helper: () => timedRun([cli, "__sandbox-exec", policy, "--", "true"], opts),
        exec: () => timedRun([cli, "exec", "--json", "compact", "--", "true"], opts),
        sandboxed: () => timedRun([cli, "exec", "--json", "compact", "--sandbox", "read-only", "--sandbox-backend", "landlock", "--", "true"], opts),
      },
      runs,
      3,
    );
    const trueMs = wallMedian(samples.true);
    const helperMs = wallMedian(samples.helper);
    const execMs = wallMedian(samples.exec);
    const execSandboxedMs = wallMedian(samples.sandboxed);
    const cpu = (name: keyof typeof samples) => cpuMedian(samples[name]);
    return {
      runs,
      landlockAbi: abi,
      trueMs: round(trueMs),
      helloMs: round(wallMedian(samples.hello)),
      helperMs: round(helperMs),
      helperAddedMs: round(helperMs - trueMs),
      execMs: round(execMs),
      execSandboxedMs: round(execSandboxedMs),
      addedMs: round(execSandboxedMs - execMs),
      ratio: round(execSandboxedMs / execMs, 3),
      helperCpuMs: round(cpu("helper")),
      helloCpuMs: round(cpu("hello")),
      execCpuMs: round(cpu("exec")),
      execSandboxedCpuMs: round(cpu("sandboxed")),
      addedCpuMs: round(cpu("sandboxed") - cpu("exec")),
      targetMs: SANDBOX_TARGET_MS,
    };
  } finally {
    s.dispose();
  }
}

export function formatSandbox(r: SandboxBench): string {
  if ("skipped" in r) return `sandbox: skipped (${r.skipped})`;
  return [
    `sandbox: Landlock ABI ${r.landlockAbi}, medians of ${r.runs} interleaved runs`,
    `  true (bare spawn)                                  ${r.trueMs.toFixed(1)} ms`,
    `  bare compiled Bun hello-world                      ${r.helloMs.toFixed(1)} ms (cpu ${r.helloCpuMs.toFixed(1)} ms)`,
    `  __sandbox-exec <read-only> -- true (helper alone)  ${r.helperMs.toFixed(1)} ms (+${r.helperAddedMs.toFixed(1)} ms over true; cpu ${r.helperCpuMs.toFixed(1)} ms)`,
    `  exec --json compact -- true                        ${r.execMs.toFixed(1)} ms (cpu ${r.execCpuMs.toFixed(1)} ms)`,
    `  exec --json compact --sandbox read-only -- true    ${r.execSandboxedMs.toFixed(1)} ms (cpu ${r.execSandboxedCpuMs.toFixed(1)} ms); +${r.addedMs.toFixed(1)} ms (cpu +${r.addedCpuMs.toFixed(1)} ms), ratio ${r.ratio.toFixed(3)} (target ≤ +${r.targetMs} ms: ${r.addedMs <= r.targetMs ? "met" : "NOT met"})`,
  ].join("\n");
}

if (import.meta.main) {
  const cli = binaryPath();
  await ensureBinary(cli);
  const r = await benchSandbox(cli, Number(process.argv[2] ?? 21));
  console.log(formatSandbox(r));
  console.log(JSON.stringify({ bench: "sandbox", ...r }));
}
