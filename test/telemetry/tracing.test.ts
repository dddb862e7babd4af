import { afterEach, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { VERSION } from "../../src/core/version.ts";
import { ATTR } from "../../src/telemetry/span-attributes.ts";
import { createTracer } from "../../src/telemetry/tracing.ts";
import { type OtlpReceiver, startOtlpReceiver } from "../helpers/otlp-receiver.ts";
import { STATUS_CODE, decodeExportTraceServiceRequest } from "../helpers/protobuf.ts";

let receiver: OtlpReceiver | null = null;
afterEach(async () => {
  await receiver?.close();
  receiver = null;
});

const PARENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN = "00f067aa0ba902b7";

/** Runs a program, returning its stdout (a real child process, like a stage command). */
function runChild(argv: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("tracing: spans over OTLP/HTTP protobuf", () => {
  test("a pipeline run exports run → stage → exec spans with their attributes, links and retry events", async () => {
    receiver = await startOtlpReceiver();
    const warnings: string[] = [];
    const tracer = createTracer({
      endpoint: receiver.tracesUrl,
      headers: { authorization: "Bearer secret", "x-tenant": "acme" },
      traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-01`,
      warn: (l) => warnings.push(l),
    });
    expect(tracer.enabled).toBe(true);

    const run = tracer.startRun({ runId: "2025-01-01T00-00-00-000Z-abcdef01", taskId: "t1", pipelineId: "ci", command: "start" });
    const build = run.startStage("build", { index: 1, title: "Build", kind: "command" });
    build.addRetry({ attempt: 1, delayMs: 250, error: "sandbox denied" });
    const attempt1 = build.startExec({ argv: ["/bin/sh", "-c", "make"], attempt: 1, sandboxState: "sandboxed", approvalSource: "cache", correlationId: "c-1" });
    attempt1.end({ exitCode: null, signal: "SIGKILL", status: "failed", sandboxState: "escalated", sessionId: "s-1" });
    const attempt2 = build.startExec({ argv: ["/bin/sh", "-c", "make"], attempt: 2, sandboxState: "escalated", approvalSource: "cache" });
    attempt2.end({ exitCode: 0, status: "succeeded", sandboxState: "escalated" });
    build.end({ status: "succeeded", exitCode: 0 });

    const sub = run.startStage("checks", { index: 2, kind: "subpipeline" });
    const child = sub.startChildRun({ runId: "2025-01-01T00-00-01-000Z-abcdef02", taskId: "t1", pipelineId: "checks", parentRunId: "2025-01-01T00-00-00-000Z-abcdef01" });
    const lint = child.startStage("lint");
    lint.startExec({ argv: ["/bin/sh", "-c", "lint"], attempt: 1 }).end({ exitCode: 2, status: "failed" });
    lint.end({ status: "failed", exitCode: 2 });
    child.end({ status: "failed" });
    sub.end({ status: "failed" });
    run.end({ status: "failed", metrics: { approvalReuse: 2, commandLatencyMs: { p50: 10, p95: 40, max: 41 } } });

    await tracer.shutdown();
    expect(warnings).toEqual([]);
    expect(receiver.requests.length).toBe(1);
    const request = receiver.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.path).toBe("/v1/traces");
    expect(request.headers["content-type"]).toBe("application/x-protobuf");
    expect(request.headers.authorization).toBe("Bearer secret");
    expect(request.headers["x-tenant"]).toBe("acme");

    const decoded = decodeExportTraceServiceRequest(request.body);
    expect(decoded.resourceSpans.length).toBe(1);
    expect(decoded.resourceSpans[0]!.resource["service.name"]).toBe("codex-orchestrator");
    expect(decoded.resourceSpans[0]!.resource["service.version"]).toBe(VERSION);

    const spans = receiver.spans();
    expect(spans.map((s) => s.name).sort()).toEqual(
      ["exec", "exec", "exec", "run", "run", "stage build", "stage checks", "stage lint"].sort(),
    );
    const byName = (name: string) => spans.filter((s) => s.name === name);
    const root = byName("run").find((s) => s.attributes[ATTR.pipelineId] === "ci")!;
    const childRun = byName("run").find((s) => s.attributes[ATTR.pipelineId] === "checks")!;
    const buildSpan = byName("stage build")[0]!;
    const checksSpan = byName("stage checks")[0]!;
    const lintSpan = byName("stage lint")[0]!;
    const execs = byName("exec");

    // One trace, parented on TRACEPARENT.
    for (const span of spans) expect(span.traceId).toBe(PARENT_TRACE);
    expect(root.parentSpanId).toBe(PARENT_SPAN);
    expect(buildSpan.parentSpanId).toBe(root.spanId);
    expect(checksSpan.parentSpanId).toBe(root.spanId);
    expect(childRun.parentSpanId).toBe(checksSpan.spanId);
    expect(lintSpan.parentSpanId).toBe(childRun.spanId);
    expect(execs.filter((s) => s.parentSpanId === buildSpan.spanId).length).toBe(2);
    expect(execs.filter((s) => s.parentSpanId === lintSpan.spanId).length).toBe(1);

    expect(root.attributes).toMatchObject({
      [ATTR.runId]: "2025-01-01T00-00-00-000Z-abcdef01",
      [ATTR.taskId]: "t1",
      [ATTR.pipelineId]: "ci",
      [ATTR.command]: "start",
      [ATTR.status]: "failed",
      [ATTR.approvalReuse]: 2,
      [ATTR.latencyP50]: 10,
      [ATTR.latencyP95]: 40,
      [ATTR.latencyMax]: 41,
    });
    expect(root.status.code).toBe(STATUS_CODE.ERROR);
    expect(childRun.attributes[ATTR.parentRunId]).toBe("2025-01-01T00-00-00-000Z-abcdef01");
    expect(buildSpan.attributes).toMatchObject({
      [ATTR.stageId]: "build",
      [ATTR.stageStatus]: "succeeded",
      [ATTR.stageIndex]: 1,
      [ATTR.stageTitle]: "Build",
      [ATTR.stageKind]: "command",
    });
    expect(buildSpan.status.code).toBe(STATUS_CODE.UNSET);
    expect(lintSpan.status.code).toBe(STATUS_CODE.ERROR);
    expect(buildSpan.events).toHaveLength(1);
    expect(buildSpan.events[0]!.name).toBe("retry");
    expect(buildSpan.events[0]!.attributes).toEqual({ attempt: 1, delay_ms: 250, error: "sandbox denied" });

    const first = execs.find((s) => s.attributes[ATTR.attempt] === 1 && s.parentSpanId === buildSpan.spanId)!;
    const second = execs.find((s) => s.attributes[ATTR.attempt] === 2)!;
    expect(first.attributes).toEqual({
      [ATTR.commandArgs]: ["/bin/sh", "-c", "make"],
      [ATTR.attempt]: 1,
      [ATTR.correlationId]: "c-1",
      [ATTR.sandboxState]: "escalated",
      [ATTR.approvalSource]: "cache",
      [ATTR.retryCount]: 0,
      [ATTR.sessionId]: "s-1",
      [ATTR.signal]: "SIGKILL",
      [ATTR.execStatus]: "failed",
    });
    expect(first.attributes[ATTR.exitCode]).toBeUndefined();
    expect(first.status).toEqual({ code: STATUS_CODE.ERROR, message: "killed by SIGKILL" });
    expect(second.attributes).toMatchObject({ [ATTR.exitCode]: 0, [ATTR.retryCount]: 1, [ATTR.sandboxState]: "escalated" });
    expect(second.status.code).toBe(STATUS_CODE.UNSET);
    for (const span of spans) expect(span.endTimeUnixNano >= span.startTimeUnixNano).toBe(true);
    expect(tracer.stats()).toMatchObject({ requests: 1, failures: 0, exportedSpans: 8, droppedSpans: 0 });
  });

  test("a child process gets TRACEPARENT of its exec span, and a traced tool it runs joins the trace", async () => {
    receiver = await startOtlpReceiver();
    const tracer = createTracer({ endpoint: receiver.tracesUrl, warn: () => undefined });
    const run = tracer.startRun({ runId: "r", taskId: "t1", pipelineId: "exec", command: "exec" });
    const stage = run.startStage("exec");
    const exec = stage.startExec({ argv: ["sh", "-c", "echo"], attempt: 1 });
    expect(exec.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", TRACEPARENT: exec.traceparent as string };
    const echoed = await runChild(["/bin/sh", "-c", 'printf %s "$TRACEPARENT"'], env);
    expect(echoed.stdout).toBe(exec.traceparent as string);

    const fixture = join(import.meta.dir, "fixtures/child-tracer.ts");
    const tool = await runChild([process.execPath, fixture], { ...env, CHILD_OTLP_URL: receiver.tracesUrl });
    expect(tool.stderr).toBe("");
    expect(JSON.parse(tool.stdout)).toMatchObject({ requests: 1, exportedSpans: 1 });

    exec.end({ exitCode: 0, status: "succeeded" });
    stage.end({ status: "succeeded" });
    run.end({ status: "succeeded" });
    await tracer.shutdown();

    const spans = receiver.spans();
    const execSpan = spans.find((s) => s.name === "exec")!;
    const childRun = spans.find((s) => s.attributes[ATTR.pipelineId] === "child-tool")!;
    const rootRun = spans.find((s) => s.attributes[ATTR.pipelineId] === "exec")!;
    expect(exec.traceparent).toBe(`00-${execSpan.traceId}-${execSpan.spanId}-01`);
    expect(childRun.traceId).toBe(execSpan.traceId);
    expect(childRun.parentSpanId).toBe(execSpan.spanId);
    expect(rootRun.parentSpanId).toBe("");
    expect(rootRun.status.code).toBe(STATUS_CODE.OK);
  });

  test("an invalid TRACEPARENT is ignored: the run span starts a new trace", async () => {
    receiver = await startOtlpReceiver();
    const tracer = createTracer({ endpoint: receiver.tracesUrl, traceparent: "00-zz-nope-01", warn: () => undefined });
    tracer.startRun({ runId: "r", taskId: "t", pipelineId: "p" }).end({ status: "succeeded" });
    await tracer.shutdown();
    const [root] = receiver.spans();
    expect(root!.parentSpanId).toBe("");
    expect(root!.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root!.traceId).not.toBe("0".repeat(32));
  });

  test("spans left open at shutdown are ended and marked incomplete; later spans are not recorded", async () => {
    receiver = await startOtlpReceiver();
    const tracer = createTracer({ endpoint: receiver.tracesUrl, warn: () => undefined });
    const run = tracer.startRun({ runId: "r", taskId: "t", pipelineId: "p" });
    run.startStage("s").startExec({ argv: ["x"], attempt: 1 });
    await tracer.shutdown();
    await tracer.shutdown();
    const late = tracer.startRun({ runId: "r2", taskId: "t", pipelineId: "p" });
    expect(late.traceparent).toBeNull();
    late.end({ status: "succeeded" });
    expect(receiver.requests.length).toBe(1);
    const spans = receiver.spans();
    expect(spans.map((s) => s.name).sort()).toEqual(["exec", "run", "stage s"]);
    for (const span of spans) expect(span.attributes[ATTR.incomplete]).toBe(true);
  });

  test("no endpoint: a no-op tracer with the same API and no TRACEPARENT to hand out", async () => {
    const tracer = createTracer({ endpoint: null });
    expect(tracer.enabled).toBe(false);
    const run = tracer.startRun({ runId: "r", taskId: "t", pipelineId: "p" });
    const stage = run.startStage("s");
    const exec = stage.startExec({ argv: ["true"], attempt: 1 });
    expect(exec.traceparent).toBeNull();
    expect(stage.startChildRun({ runId: "c", taskId: "t", pipelineId: "q" }).traceparent).toBeNull();
    stage.addRetry({ attempt: 1, delayMs: 250, error: "x" });
    exec.end({ exitCode: 0 });
    stage.end({ status: "succeeded" });
    run.end({ status: "succeeded" });
    await tracer.shutdown();
    expect(tracer.stats().requests).toBe(0);
  });
});
