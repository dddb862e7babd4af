/**
 * Hints to JavaScriptCore's JIT for the few loops that run per byte of output.
 *
 * The executable starts with raised tier-up thresholds (`jitPolicy` in build.ts): code that runs a handful of times per
 * run — nearly all of it — stays in the interpreter, which saves start-up time and the memory of compiling it. A loop
 * that touches every byte of a command's output is the exception: interpreted, it would cost most of the time of
 * 50 MB through `exec --jsonl`. Such a function is compiled by the optimizing JIT (DFG) on its next call, and kept
 * out of the FTL tier, whose compilations cost several MiB of memory for little gain here (measured: docs/benchmarks.md).
 */
type Jsc = { noFTL(fn: unknown): unknown; optimizeNextInvocation(fn: unknown): void };

let jsc: Jsc | null | undefined;

/**
 * Moves `fn` up one JIT tier at its next call (interpreter → baseline → DFG; calling it again after some calls reaches
 * the DFG), never to FTL. A no-op where bun:jsc is not available.
 */
export function optimizeHotLoop(fn: (...args: never[]) => unknown): void {
  if (jsc === undefined) {
    try {
      jsc = require("bun:jsc") as Jsc;
    } catch {
      jsc = null;
    }
  }
  if (jsc === null) return;
  jsc.noFTL(fn);
  jsc.optimizeNextInvocation(fn);
}

/**
 * Back to JavaScriptCore's normal tier-up thresholds, for a process that lives on after start-up (the session host):
 * the raised thresholds of the executable suit a short run, not a server whose code runs thousands of times.
 */
export function useNormalJitPolicy(): void {
  const unsafe = Bun.unsafe as { setJITPolicy?: (scale: number) => void };
  unsafe.setJITPolicy?.(1);
}
