import { afterEach, describe, expect, test } from "bun:test";
import { UsageError } from "../../src/core/errors.ts";
import { createTracer } from "../../src/telemetry/tracing.ts";
import { parseOtlpHeaders, resolveTelemetrySettings, tracesUrl } from "../../src/telemetry/endpoint.ts";
import { type OtlpReceiver, startOtlpReceiver } from "../helpers/otlp-receiver.ts";

describe("endpoint precedence (SPEC §20, issue 6)", () => {
  const env = {
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://traces.example:4318/custom/path",
    OTEL_EXPORTER_OTLP_ENDPOINT: "http://base.example:4318/",
  };
  const config = { endpoint: "http://config.example:4318" };

  test("--otel-endpoint beats the environment and the config", () => {
    expect(resolveTelemetrySettings({ cliEndpoint: "http://cli.example:4318", env, config })).toMatchObject({
      endpoint: "http://cli.example:4318/v1/traces",
      source: "--otel-endpoint",
    });
  });

  test("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as is and beats OTEL_EXPORTER_OTLP_ENDPOINT", () => {
    expect(resolveTelemetrySettings({ env, config })).toMatchObject({
      endpoint: "http://traces.example:4318/custom/path",
      source: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    });
  });

  test("OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces and beats the config", () => {
    const { OTEL_EXPORTER_OTLP_ENDPOINT } = env;
    expect(resolveTelemetrySettings({ env: { OTEL_EXPORTER_OTLP_ENDPOINT }, config })).toMatchObject({
      endpoint: "http://base.example:4318/v1/traces",
      source: "OTEL_EXPORTER_OTLP_ENDPOINT",
    });
  });

  test("the config endpoint is the last resort; nothing anywhere means off; empty values count as unset", () => {
    expect(resolveTelemetrySettings({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: "  " }, config })).toMatchObject({
      endpoint: "http://config.example:4318/v1/traces",
      source: "config",
    });
    expect(resolveTelemetrySettings({ env: {} })).toEqual({ endpoint: null, headers: {}, source: null });
  });

  test("a URL already ending in /v1/traces is kept; a base loses its trailing slashes", () => {
    expect(tracesUrl("https://otel.example/v1/traces")).toBe("https://otel.example/v1/traces");
    expect(tracesUrl("https://otel.example/prefix//")).toBe("https://otel.example/prefix/v1/traces");
    expect(resolveTelemetrySettings({ cliEndpoint: "http://h:1/v1/traces", env: {} }).endpoint).toBe("http://h:1/v1/traces");
  });

  test("headers: config, overridden per key by OTEL_EXPORTER_OTLP_HEADERS", () => {
    const settings = resolveTelemetrySettings({
      env: { OTEL_EXPORTER_OTLP_HEADERS: "x-team = core , authorization=Basic%20abc, broken, =v" },
      config: { endpoint: "http://h:1", headers: { "x-team": "config", "x-config-only": "1" } },
    });
    expect(settings.headers).toEqual({ "x-team": "core", authorization: "Basic abc", "x-config-only": "1" });
    expect(parseOtlpHeaders(undefined)).toEqual({});
  });

  test("bad values: the flag and the config are usage errors, the environment only warns and turns telemetry off", () => {
    expect(() => resolveTelemetrySettings({ cliEndpoint: "localhost:4318", env: {} })).toThrow(
      new UsageError("Invalid value for --otel-endpoint: localhost:4318 (expected an http(s) URL)."),
    );
    expect(() =>
      resolveTelemetrySettings({ env: {}, config: { endpoint: "ftp://x" }, configPath: "/r/codex.orchestrator.json" }),
    ).toThrow("Invalid config /r/codex.orchestrator.json: /telemetry/endpoint: expected an http(s) URL");
    const warnings: string[] = [];
    const settings = resolveTelemetrySettings({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" },
      config,
      warn: (l) => warnings.push(l),
    });
    expect(settings.endpoint).toBeNull();
    expect(warnings).toEqual(["Telemetry disabled: OTEL_EXPORTER_OTLP_ENDPOINT is not an http(s) URL: not a url"]);
  });
});

describe("resolved settings drive a real export", () => {
  let receiver: OtlpReceiver | null = null;
  afterEach(async () => {
    await receiver?.close();
    receiver = null;
  });

  test("a base endpoint from the environment and its headers reach the collector at /v1/traces", async () => {
    receiver = await startOtlpReceiver();
    const settings = resolveTelemetrySettings({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.base, OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=k1" },
      config: { endpoint: "http://127.0.0.1:9", headers: { "x-from-config": "yes" } },
    });
    const tracer = createTracer({ ...settings, warn: () => undefined });
    tracer.startRun({ runId: "r", taskId: "t", pipelineId: "p" }).end({ status: "succeeded" });
    await tracer.shutdown();
    expect(receiver.requests.map((r) => r.path)).toEqual(["/v1/traces"]);
    expect(receiver.requests[0]!.headers["x-api-key"]).toBe("k1");
    expect(receiver.requests[0]!.headers["x-from-config"]).toBe("yes");
    expect(receiver.spans().map((s) => s.name)).toEqual(["run"]);
  });
});
