// Telemetry through the compiled `exec` (SPEC §20, §23 checks 39 and 40, issue 6): a real OTLP/HTTP receiver on
// 127.0.0.1, protobuf bodies decoded from the wire, the TRACEPARENT hand-over to the spawned command, endpoint
// precedence, and a collector that answers 500, refuses connections or hangs.
import { afterAll, describe, expect, test } from "bun:test";
import { jsonLines, runCli } from "../helpers/cli.ts";
import { type OtlpReceiver, refusedUrl, startOtlpReceiver } from "../helpers/otlp-receiver.ts";
import { STATUS_CODE } from "../helpers/protobuf.ts";
import { workspace as scratchWorkspace } from "../helpers/workspace.ts";

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON under test is walked freely
type Json = Record<string, any>;

const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const PARENT_ID = "b7ad6b7169203331";
const UPSTREAM = `00-${TRACE_ID}-${PARENT_ID}-01`;
const DISABLED = "Telemetry disabled after 3 consecutive failures";

const receivers: OtlpReceiver[] = [];
afterAll(async () => {
  for (const r of receivers) await r.close();
});

const workspace = (config?: Json) => scratchWorkspace(config, "co-e2e-otel-");

async function receiver(mode?: Parameters<typeof startOtlpReceiver>[0]): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver(mode);
  receivers.push(r);
  return r;
}

const byName = (r: OtlpReceiver, name: string) => r.spans().filter((s) => s.name === name);

describe("exec exports a trace (check 39)", () => {
  test("run → stage exec → exec under the upstream TRACEPARENT; the command gets its exec span", async () => {
    const w = workspace();
    const r = await receiver();
    const argv = ["sh", "-c", "echo $TRACEPARENT"];
    const run = await runCli(["exec", "--otel-endpoint", r.base, "--", ...argv], { cwd: w, env: { TRACEPARENT: UPSTREAM } });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    const events = jsonLines(run.stdout);
    const summary = events.at(-1) as Json;
    expect(summary.type).toBe("run:summary");
    const runId = summary.payload.run.id as string;

    expect(r.requests.length).toBeGreaterThanOrEqual(1);
    for (const req of r.requests) {
      expect(req.method).toBe("POST");
      expect(req.path).toBe("/v1/traces");
      expect(req.headers["content-type"]).toBe("application/x-protobuf");
    }
    const [runSpan] = byName(r, "run");
    const [stageSpan] = byName(r, "stage exec");
    const execSpans = byName(r, "exec");
    expect(runSpan).toBeDefined();
    expect(stageSpan).toBeDefined();
    expect(execSpans).toHaveLength(1);
    const execSpan = execSpans[0] as NonNullable<typeof runSpan>;
    if (runSpan === undefined || stageSpan === undefined) throw new Error("spans missing");

    // Parent/child links, all in the upstream trace.
    for (const span of [runSpan, stageSpan, execSpan]) expect(span.traceId).toBe(TRACE_ID);
    expect(runSpan.parentSpanId).toBe(PARENT_ID);
    expect(stageSpan.parentSpanId).toBe(runSpan.spanId);
    expect(execSpan.parentSpanId).toBe(stageSpan.spanId);

    expect(runSpan.attributes).toMatchObject({
      "codex_orchestrator.run_id": runId,
      "codex_orchestrator.task_id": "t1",
      "codex_orchestrator.pipeline_id": "exec",
      "codex_orchestrator.status": "succeeded",
    });
    expect(runSpan.status.code).toBe(STATUS_CODE.OK);
    expect(stageSpan.attributes).toMatchObject({ "codex_orchestrator.stage_id": "exec", "codex_orchestrator.stage_status": "succeeded" });
    expect(execSpan.attributes["process.command_args"]).toEqual(argv);
    expect(execSpan.attributes).toMatchObject({
      "process.exit_code": 0,
      "codex_orchestrator.sandbox_state": "unsandboxed",
      "codex_orchestrator.approval_source": "not-required",
      "codex_orchestrator.retry_count": 0,
    });

    // The hand-over: the command saw TRACEPARENT = its own exec span.
    const printed = summary.payload.outputs.stdout as string;
    expect(printed).toBe(`00-${TRACE_ID}-${execSpan.spanId}-01\n`);

    // Resource: service name and the version the binary reports.
    const version = (await runCli(["--version"], { cwd: w })).stdout.trim();
    for (const span of r.spans()) {
      expect(span.resource["service.name"]).toBe("codex-orchestrator");
      expect(span.resource["service.version"]).toBe(version);
    }
  });

  test("a failing command: run and stage spans are ERROR, the exec span carries the exit code", async () => {
    const w = workspace();
    const r = await receiver();
    const run = await runCli(["exec", "--otel-endpoint", r.base, "--", "sh", "-c", "exit 3"], { cwd: w });
    expect(run.code).toBe(3);
    const [runSpan] = byName(r, "run");
    const [execSpan] = byName(r, "exec");
    expect(runSpan?.attributes["codex_orchestrator.status"]).toBe("failed");
    expect(runSpan?.status.code).toBe(STATUS_CODE.ERROR);
    expect(runSpan?.parentSpanId).toBe("");
    expect(execSpan?.attributes["process.exit_code"]).toBe(3);
    expect(execSpan?.status.code).toBe(STATUS_CODE.ERROR);
  });

  test("--otel-endpoint ending in /v1/traces is used as given", async () => {
    const w = workspace();
    const r = await receiver();
    const run = await runCli(["exec", `--otel-endpoint=${r.base}/custom/v1/traces`, "--", "true"], { cwd: w });
    expect(run.code).toBe(0);
    expect(r.requests.map((q) => q.path)).toEqual(["/custom/v1/traces"]);
    expect(byName(r, "run")).toHaveLength(1);
  });

  test("without telemetry the inherited TRACEPARENT passes through unchanged", async () => {
    const w = workspace();
    const run = await runCli(["exec", "--json", "compact", "--", "sh", "-c", "echo $TRACEPARENT"], {
      cwd: w,
      env: { TRACEPARENT: UPSTREAM },
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).payload.outputs.stdout).toBe(`${UPSTREAM}\n`);
  });
});

describe("endpoint precedence: CLI > environment > config", () => {
  test("each source is used only when the ones above it are absent", async () => {
    const [cli, traces, base, config] = await Promise.all([receiver(), receiver(), receiver(), receiver()]);
    const w = workspace({ telemetry: { endpoint: config.base } });
    const env = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${traces.base}/exact/path`, OTEL_EXPORTER_OTLP_ENDPOINT: base.base };
    const hits = () => [cli, traces, base, config].map((r) => r.requests.length);

    expect((await runCli(["exec", "--otel-endpoint", cli.base, "--", "true"], { cwd: w, env })).code).toBe(0);
    expect(hits()).toEqual([1, 0, 0, 0]);

    // OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is the full URL, as is.
    expect((await runCli(["exec", "--", "true"], { cwd: w, env })).code).toBe(0);
    expect(hits()).toEqual([1, 1, 0, 0]);
    expect(traces.requests[0]?.path).toBe("/exact/path");

    // OTEL_EXPORTER_OTLP_ENDPOINT is a base URL.
    expect((await runCli(["exec", "--", "true"], { cwd: w, env: { OTEL_EXPORTER_OTLP_ENDPOINT: base.base } })).code).toBe(0);
    expect(hits()).toEqual([1, 1, 1, 0]);
    expect(base.requests[0]?.path).toBe("/v1/traces");

    // Neither: telemetry.endpoint of codex.orchestrator.json.
    expect((await runCli(["exec", "--", "true"], { cwd: w })).code).toBe(0);
    expect(hits()).toEqual([1, 1, 1, 1]);
    expect(config.requests[0]?.path).toBe("/v1/traces");
    for (const r of [cli, traces, base, config]) expect(byName(r, "run")).toHaveLength(1);
  });

  test("OTEL_EXPORTER_OTLP_HEADERS are sent with the export", async () => {
    const w = workspace();
    const r = await receiver();
    const run = await runCli(["exec", "--", "true"], {
      cwd: w,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: r.base, OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=abc123,x-team=plat%20form" },
    });
    expect(run.code).toBe(0);
    expect(r.requests[0]?.headers["x-api-key"]).toBe("abc123");
    expect(r.requests[0]?.headers["x-team"]).toBe("plat form");
  });

  test("a bad --otel-endpoint is a usage error before anything runs", async () => {
    const w = workspace();
    const run = await runCli(["exec", "--otel-endpoint", "ftp://x", "--", "true"], { cwd: w });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("Invalid value for --otel-endpoint: ftp://x (expected an http(s) URL).\n");
    expect(run.stdout).toBe("");
  });
});

/**
 * Runs `exec --jsonl -- sh -c 'echo done'` against `endpoint`. How long the export at exit may take (the 2 s budget)
 * is measured in bench/telemetry.ts; here the budget shows in what reached the collector and what was printed.
 */
async function faultRun(endpoint: string) {
  const w = workspace();
  const run = await runCli(["exec", "--jsonl", "--otel-endpoint", endpoint, "--", "sh", "-c", "echo done"], { cwd: w });
  const events = jsonLines(run.stdout);
  const summary = events.at(-1) as Json;
  return { run, summary };
}

describe("a misbehaving collector never changes the run (check 40)", () => {
  test("answering 500: exactly 3 POSTs, one warning, exit 0", async () => {
    const r = await receiver({ kind: "status", status: 500 });
    const { run, summary } = await faultRun(r.base);
    expect(run.code).toBe(0);
    expect(summary.payload.status).toBe("succeeded");
    expect(r.hits()).toBe(3);
    expect(r.requests.map((q) => q.method)).toEqual(["POST", "POST", "POST"]);
    // Each was a real OTLP body (the same batch, sent again).
    for (const q of r.requests) expect(q.headers["content-type"]).toBe("application/x-protobuf");
    expect(r.spans().filter((s) => s.name === "run")).toHaveLength(3);
    expect(run.stderr.split(DISABLED).length - 1).toBe(1);
    expect(run.stderr).toBe(`${DISABLED}: collector responded with status 500\n`);
  });

  test("unreachable endpoint: one warning, exit 0", async () => {
    const url = await refusedUrl();
    const { run, summary } = await faultRun(url);
    expect(run.code).toBe(0);
    expect(summary.payload.status).toBe("succeeded");
    expect(run.stderr.split(DISABLED).length - 1).toBe(1);
    expect(run.stderr).toContain("ECONNREFUSED");
  });

  test("hanging collector: the export at exit is cut off by its budget, exit code unchanged, no warning", async () => {
    const r = await receiver({ kind: "hang" });
    const w = workspace();
    const run = await runCli(["exec", "--jsonl", "--otel-endpoint", r.base, "--", "sh", "-c", "exit 5"], { cwd: w });
    expect(run.code).toBe(5);
    // Unbounded, three timed-out requests would disable telemetry with a warning; the 2 s budget stops the export
    // before a third request starts.
    expect(r.hits()).toBeGreaterThanOrEqual(1);
    expect(r.hits()).toBeLessThanOrEqual(2);
    expect(run.stderr).toBe("");
  });
});
