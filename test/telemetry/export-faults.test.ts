import { afterEach, describe, expect, test } from "bun:test";
import { createTracer } from "../../src/telemetry/index.ts";
import { type OtlpReceiver, refusedUrl, startOtlpReceiver } from "../helpers/otlp-receiver.ts";

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

async function timedShutdown(tracer: ReturnType<typeof createTracer>): Promise<number> {
  const started = performance.now();
  await tracer.shutdown();
  return performance.now() - started;
}

const DISABLED = /^Telemetry disabled after 3 consecutive failures: /;

describe("telemetry export faults (SPEC §20)", () => {
  test("connection refused: 3 attempts with back-off, one warning, shutdown bounded", async () => {
    const base = await refusedUrl();
    const warnings: string[] = [];
    const tracer = createTracer({ endpoint: `${base}/v1/traces`, warn: (l) => warnings.push(l) });
    recordRun(tracer);
    const ms = await timedShutdown(tracer);
    expect(tracer.stats()).toMatchObject({ requests: 3, failures: 3, exportedSpans: 0, droppedSpans: 3, disabled: true });
    expect(warnings).toEqual([
      `Telemetry disabled after 3 consecutive failures: connect ECONNREFUSED ${base.replace("http://", "")}`,
    ]);
    // Back-off 500 ms then 1000 ms happen inside the 2 s budget.
    expect(ms).toBeGreaterThan(1400);
    expect(ms).toBeLessThan(2600);
  });

  test("collector answering 500: exactly 3 requests reach it, then telemetry is off for the process", async () => {
    receiver = await startOtlpReceiver({ kind: "status", status: 500 });
    const warnings: string[] = [];
    const tracer = createTracer({ endpoint: receiver.tracesUrl, warn: (l) => warnings.push(l) });
    recordRun(tracer);
    const ms = await timedShutdown(tracer);
    expect(receiver.hits()).toBe(3);
    expect(warnings).toEqual(["Telemetry disabled after 3 consecutive failures: collector responded with status 500"]);
    expect(ms).toBeLessThan(2600);
    // Each failed request carried the whole batch (retries resend it), and every body is a valid request.
    for (const request of receiver.requests) expect(request.body.length).toBeGreaterThan(0);
    expect(receiver.spans().length).toBe(9);
    const gaps = receiver.requests.slice(1).map((r, i) => r.at - receiver!.requests[i]!.at);
    expect(gaps[0]).toBeGreaterThanOrEqual(450);
    expect(gaps[1]).toBeGreaterThanOrEqual(950);
  });

  test("a hanging collector costs at most 2 s at exit and never a warning", async () => {
    receiver = await startOtlpReceiver({ kind: "hang" });
    const warnings: string[] = [];
    const tracer = createTracer({ endpoint: receiver.tracesUrl, warn: (l) => warnings.push(l) });
    recordRun(tracer);
    const ms = await timedShutdown(tracer);
    expect(ms).toBeLessThan(2600);
    // 750 ms per request, 500 ms back-off: the second request ends at the 2 s budget — by its own timeout or cut off by
    // the budget, whichever timer fires first (1 or 2 failures) — and a third never starts.
    expect(receiver.hits()).toBe(2);
    expect(tracer.stats()).toMatchObject({ requests: 2, exportedSpans: 0, disabled: false, droppedSpans: 3 });
    expect([1, 2]).toContain(tracer.stats().failures);
    expect(warnings).toEqual([]);
  });

  test("503 with Retry-After: 0 still costs one request per attempt (the exporter's own retry is refused)", async () => {
    receiver = await startOtlpReceiver({ kind: "status", status: 503, retryAfter: "0" });
    const warnings: string[] = [];
    const tracer = createTracer({ endpoint: receiver.tracesUrl, warn: (l) => warnings.push(l) });
    recordRun(tracer);
    await timedShutdown(tracer);
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
    while (receiver.hits() < 1) await Bun.sleep(10);
    receiver.setMode({ kind: "ok" });
    await timedShutdown(tracer);
    expect(receiver.hits()).toBe(2);
    expect(warnings).toEqual([]);
    expect(tracer.stats()).toMatchObject({ requests: 2, failures: 1, exportedSpans: 3, disabled: false });
  });

  test("background exports during a long run keep to the request budget and lose no span", async () => {
    receiver = await startOtlpReceiver();
    // Scaled-down policy: a 1.5 s window instead of 60 s, spans exported at most every 20 ms.
    const windowMs = 1500;
    const tracer = createTracer({ endpoint: receiver.tracesUrl, warn: () => undefined, intervalMs: 20, windowMs });
    for (let i = 0; i < 12; i++) {
      recordRun(tracer, `r${i}`);
      await Bun.sleep(60);
    }
    await Bun.sleep(windowMs);
    await timedShutdown(tracer);
    // The budget holds for the times requests are sent; the receiver sees arrival times, and the first request of a
    // connection arrives later than the next ones (connection set-up): 100 ms of slack for that.
    const times = receiver.requests.map((r) => r.at);
    for (const t of times) expect(times.filter((u) => u >= t && u < t + windowMs - 100).length).toBeLessThanOrEqual(3);
    const ids = receiver.spans().map((s) => s.spanId);
    expect(ids.length).toBe(36);
    expect(new Set(ids).size).toBe(36);
  });

  test("once disabled, later spans are dropped without further requests", async () => {
    receiver = await startOtlpReceiver({ kind: "status", status: 500 });
    const warnings: string[] = [];
    const tracer = createTracer({ endpoint: receiver.tracesUrl, warn: (l) => warnings.push(l), intervalMs: 10 });
    recordRun(tracer);
    while (!tracer.stats().disabled) await Bun.sleep(20);
    recordRun(tracer, "after");
    await timedShutdown(tracer);
    expect(receiver.hits()).toBe(3);
    expect(warnings.length).toBe(1);
    expect(tracer.stats().droppedSpans).toBe(6);
  });
});
