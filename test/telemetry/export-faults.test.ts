import { afterEach, describe, expect, test } from "bun:test";
import { createTracer } from "../../src/telemetry/tracing.ts";
import { type OtlpReceiver, refusedUrl, startOtlpReceiver } from "../helpers/otlp-receiver.ts";
import { waitFor } from "../helpers/wait.ts";

let receiver: OtlpReceiver | null = null;
afterEach(async () => {
  await receiver?.close();
  receiver = null;
});

/** A small run: one root, one stage, one exec span. */
function recordRun(tracer: ReturnType<typeof createTracer>, runId = "r"): void {
  const run = tracer.startRun({ runId, taskId: "t1", pipelineId: "p" });
  const stage = run.startStage("s");
  stage.startExec({ argv: ["true"], attempt: 1 }).end({ exitCode: 0 });
  stage.end({ status: "succeeded" });
  run.end({ status: "succeeded" });
}

/**
 * The export policy's clock for a test: time moves only when the policy waits (a back-off), and the wait costs nothing.
 * Requests still go to a real receiver over real HTTP; their duration does not count.
 */
function virtualClock() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

/** Real time plus every wait skipped: request timeouts run for real, back-offs are skipped. */
function skippingClock() {
  const origin = performance.now();
  let skipped = 0;
  return {
    now: () => performance.now() - origin + skipped,
    sleep: async (ms: number) => {
      skipped += Math.max(0, ms);
    },
  };
}

const DISABLED = /^Telemetry disabled after 3 consecutive failures: /;

describe("telemetry export faults (SPEC §20)", () => {
  test("connection refused: 3 attempts with back-off 500 ms then 1000 ms inside the 2 s budget, one warning", async () => {
    const base = await refusedUrl();
    const warnings: string[] = [];
    const clock = virtualClock();
    const tracer = createTracer({ endpoint: `${base}/v1/traces`, warn: (l) => warnings.push(l), clock });
    recordRun(tracer);
    await tracer.shutdown();
    expect(tracer.stats()).toMatchObject({ requests: 3, failures: 3, exportedSpans: 0, droppedSpans: 3, disabled: true });
    expect(warnings).toEqual([
      `Telemetry disabled after 3 consecutive failures: connect ECONNREFUSED ${base.replace("http://", "")}`,
    ]);
    expect(clock.sleeps).toEqual([500, 1000]);
    // The third request starts at 1.5 s of the 2 s budget and gets only what is left of it.
    expect(tracer.stats().attempts).toEqual([
      { at: 0, timeoutMs: 750 },
      { at: 500, timeoutMs: 750 },
      { at: 1500, timeoutMs: 500 },
    ]);
  });

  test("collector answering 500: exactly 3 requests reach it, then telemetry is off for the process", async () => {
    receiver = await startOtlpReceiver({ kind: "status", status: 500 });
    const warnings: string[] = [];
    const clock = virtualClock();
    const tracer = createTracer({ endpoint: receiver.tracesUrl, warn: (l) => warnings.push(l), clock });
    recordRun(tracer);
    await tracer.shutdown();
    expect(receiver.hits()).toBe(3);
    expect(warnings).toEqual(["Telemetry disabled after 3 consecutive failures: collector responded with status 500"]);
    // Each failed request carried the whole batch (retries resend it), and every body is a valid request.
    for (const request of receiver.requests) expect(request.body.length).toBeGreaterThan(0);
    expect(receiver.spans().length).toBe(9);
    expect(clock.sleeps).toEqual([500, 1000]);
    expect(tracer.stats().attempts.map((a) => a.at)).toEqual([0, 500, 1500]);
  });

  test("a hanging collector is cut off at the 2 s budget, never with a warning", async () => {
    receiver = await startOtlpReceiver({ kind: "hang" });
    const warnings: string[] = [];
    const tracer = createTracer({ endpoint: receiver.tracesUrl, warn: (l) => warnings.push(l), clock: skippingClock() });
    recordRun(tracer);
    await tracer.shutdown();
    // 750 ms per request, 500 ms back-off: the second request gets only what is left of the 2 s budget — it ends by its
    // own timeout or cut off by the budget, whichever timer fires first (1 or 2 failures) — and a third never starts.
    expect(receiver.hits()).toBe(2);
    expect(tracer.stats()).toMatchObject({ requests: 2, exportedSpans: 0, disabled: false, droppedSpans: 3 });
    expect([1, 2]).toContain(tracer.stats().failures);
    const [first, second] = tracer.stats().attempts as [{ at: number; timeoutMs: number }, { at: number; timeoutMs: number }];
    expect(first.timeoutMs).toBe(750);
    expect(second.at).toBeGreaterThanOrEqual(first.at + 750 + 500);
    expect(second.at + second.timeoutMs).toBeLessThanOrEqual(first.at + 2000);
    expect(warnings).toEqual([]);
  });

  test("503 with Retry-After: 0 still costs one request per attempt (the exporter's own retry is refused)", async () => {
    receiver = await startOtlpReceiver({ kind: "status", status: 503, retryAfter: "0" });
    const warnings: string[] = [];
    const tracer = createTracer({ endpoint: receiver.tracesUrl, warn: (l) => warnings.push(l), clock: virtualClock() });
    recordRun(tracer);
    await tracer.shutdown();
    expect(receiver.hits()).toBe(3);
    expect(tracer.stats().requests).toBe(3);
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toMatch(DISABLED);
  });

  test("after a failure the next export succeeds and the failure count resets", async () => {
    receiver = await startOtlpReceiver({ kind: "status", status: 500 });
    const warnings: string[] = [];
    const tracer = createTracer({ endpoint: receiver.tracesUrl, warn: (l) => warnings.push(l), intervalMs: 20 });
    recordRun(tracer);
    await waitFor(() => tracer.stats().failures >= 1);
    receiver.setMode({ kind: "ok" });
    await tracer.shutdown();
    expect(receiver.hits()).toBe(2);
    expect(warnings).toEqual([]);
    expect(tracer.stats()).toMatchObject({ requests: 2, failures: 1, exportedSpans: 3, disabled: false });
  });

  test("background exports during a long run keep to the request budget and lose no span", async () => {
    receiver = await startOtlpReceiver();
    // Scaled-down policy: a 1.5 s window instead of 60 s, spans exported at most every 20 ms.
    const windowMs = 1500;
    const tracer = createTracer({ endpoint: receiver.tracesUrl, warn: () => undefined, intervalMs: 20, windowMs });
    // Three runs, each exported in the background before the next; the budget of the window is then spent.
    for (let i = 0; i < 3; i++) {
      recordRun(tracer, `r${i}`);
      await waitFor(() => tracer.stats().exportedSpans === 3 * (i + 1));
    }
    // Nine more runs while the budget is spent: they wait for the window to roll over, then go out together.
    for (let i = 3; i < 12; i++) recordRun(tracer, `r${i}`);
    await waitFor(() => tracer.stats().requests >= 4);
    await tracer.shutdown();
    // The budget holds on the policy's own clock: never more than 3 requests started in any window.
    const times = tracer.stats().attempts.map((a) => a.at);
    for (const t of times) expect(times.filter((u) => u >= t && u < t + windowMs).length).toBeLessThanOrEqual(3);
    expect(tracer.stats().exportedSpans).toBe(36);
    const ids = receiver.spans().map((s) => s.spanId);
    expect(ids.length).toBe(36);
    expect(new Set(ids).size).toBe(36);
  });

  test("once disabled, later spans are dropped without further requests", async () => {
    receiver = await startOtlpReceiver({ kind: "status", status: 500 });
    const warnings: string[] = [];
    const tracer = createTracer({ endpoint: receiver.tracesUrl, warn: (l) => warnings.push(l), intervalMs: 10 });
    recordRun(tracer);
    await waitFor(() => tracer.stats().disabled);
    recordRun(tracer, "after");
    await tracer.shutdown();
    expect(receiver.hits()).toBe(3);
    expect(warnings.length).toBe(1);
    expect(tracer.stats().droppedSpans).toBe(6);
  });
});
