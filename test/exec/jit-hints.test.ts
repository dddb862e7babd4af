import { afterAll, beforeAll, expect, test } from "bun:test";
import { numberOfDFGCompiles } from "bun:jsc";
import { optimizeHotLoop } from "../../src/exec/jit-hints.ts";
import { JIT_POLICY } from "../../build.ts";

// As in the executable (build.ts JIT_POLICY): without a hint, nothing here would reach the DFG within 200 calls.
beforeAll(() => Bun.unsafe.setJITPolicy(JIT_POLICY));
afterAll(() => Bun.unsafe.setJITPolicy(1));

/** Calls `fn` until the DFG compiled it (compilation runs on a background thread), for at most two seconds. */
async function callUntilCompiled(fn: () => unknown, compiled: () => number): Promise<number> {
  const deadline = Date.now() + 2000;
  while (compiled() === 0 && Date.now() < deadline) {
    fn();
    await Bun.sleep(2);
  }
  return compiled();
}

test("a hot loop is compiled by the optimizing JIT soon after the hint, far below its usual threshold", async () => {
  function sumBytes(bytes: Uint8Array): number {
    let sum = 0;
    for (let i = 0; i < bytes.length; i++) sum += bytes[i] as number;
    return sum;
  }
  const bytes = new Uint8Array(8192).fill(2);
  let calls = 0;
  const compiles = await callUntilCompiled(
    () => {
      calls++;
      // Hinted every 16 calls, as escapeJsonBytes does.
      if (calls % 16 === 0) optimizeHotLoop(sumBytes);
      return sumBytes(bytes);
    },
    () => numberOfDFGCompiles(sumBytes),
  );
  expect(compiles).toBeGreaterThan(0);
  expect(calls).toBeLessThan(200);
  expect(sumBytes(bytes)).toBe(16384);
});
