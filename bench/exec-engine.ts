/**
 * The attempt engine's own cost: mean start-to-end time of `true` through `startAttempt` (process group, pipes,
 * chunker, tails) against a bare `Bun.spawn` of `true` with ignored stdio, measured in the same run, plus the ratio.
 * Also: 50 MB of stdout through `startAttempt` with an awaiting consumer (wall time, peak RSS of this process).
 *
 *   bun run bench/exec-engine.ts [iterations]
 *
 * Prints human lines, then one JSON line (`{"bench":"exec-engine",...}`) for a harness to collect.
 */
import { startAttempt } from "../src/exec/process-runner.ts";

const iterations = Number(process.argv[2] ?? 200);
const warmup = 20;
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
const cwd = process.cwd();

async function bare(): Promise<void> {
  const proc = Bun.spawn(["true"], { cwd, env, stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  await proc.exited;
}

async function engine(): Promise<void> {
  const attempt = startAttempt({ argv: ["true"], cwd, env }, () => {});
  const result = await attempt.result;
  if (result.exitCode !== 0) throw new Error(`true exited ${result.exitCode}`);
}

/** Interleaves the two variants so that machine noise hits both alike; returns mean ms of each. */
async function measure(): Promise<{ bareMs: number; engineMs: number }> {
  for (let i = 0; i < warmup; i++) {
    await bare();
    await engine();
  }
  let bareTotal = 0;
  let engineTotal = 0;
  for (let i = 0; i < iterations; i++) {
    let t = performance.now();
    await bare();
    bareTotal += performance.now() - t;
    t = performance.now();
    await engine();
    engineTotal += performance.now() - t;
  }
  return { bareMs: bareTotal / iterations, engineMs: engineTotal / iterations };
}

async function throughput(): Promise<{ mb: number; wallMs: number; peakRssMiB: number }> {
  const bytes = 50 * 1024 * 1024;
  let seen = 0;
  let peak = process.memoryUsage().rss;
  const t = performance.now();
  const attempt = startAttempt({ argv: ["head", "-c", String(bytes), "/dev/zero"], cwd, env }, async (c) => {
    seen += c.bytes;
    if ((seen & 0xfffff) < c.bytes) peak = Math.max(peak, process.memoryUsage().rss);
    await Promise.resolve();
  });
  await attempt.result;
  const wallMs = performance.now() - t;
  if (seen !== bytes) throw new Error(`saw ${seen} of ${bytes} bytes`);
  peak = Math.max(peak, process.resourceUsage().maxRSS * 1024);
  return { mb: bytes / 1024 / 1024, wallMs, peakRssMiB: peak / 1024 / 1024 };
}

// Throughput first: peak RSS is a lifetime maximum, and hundreds of spawns before it would inflate it.
const big = await throughput();
console.log(`50 MB through engine:  ${big.wallMs.toFixed(0)} ms, peak RSS ${big.peakRssMiB.toFixed(1)} MiB (bun run, not compiled)`);
const { bareMs, engineMs } = await measure();
const ratio = engineMs / bareMs;
console.log(`bare Bun.spawn true:   ${bareMs.toFixed(3)} ms (mean of ${iterations})`);
console.log(`startAttempt true:     ${engineMs.toFixed(3)} ms (mean of ${iterations})`);
console.log(`ratio engine / bare:   ${ratio.toFixed(2)}`);
console.log(
  JSON.stringify({
    bench: "exec-engine",
    iterations,
    bareMs: Number(bareMs.toFixed(3)),
    engineMs: Number(engineMs.toFixed(3)),
    ratio: Number(ratio.toFixed(3)),
    throughput50MB: { wallMs: Math.round(big.wallMs), peakRssMiB: Number(big.peakRssMiB.toFixed(1)) },
  }),
);
