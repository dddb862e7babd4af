import { UsageError } from "../core/errors.ts";

/** Where the endpoint came from, for messages and for the guide's precedence table. */
export type TelemetrySource =
  | "--otel-endpoint"
  | "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
  | "OTEL_EXPORTER_OTLP_ENDPOINT"
  | "config"
  | null;

/** What `createTracer` needs; `endpoint: null` means telemetry is off. */
export type TelemetrySettings = {
  endpoint: string | null;
  headers: Record<string, string>;
  source: TelemetrySource;
};

export type TelemetryInputs = {
  /** `--otel-endpoint` (already checked non-empty by the argument parser). */
  cliEndpoint?: string | undefined;
  /** The CLI's environment (`process.env`). */
  env: Record<string, string | undefined>;
  /** `telemetry` of `codex.orchestrator.json`. */
  config?: { endpoint?: string | undefined; headers?: Record<string, string> | undefined } | undefined;
  /** Absolute path of the config file, for the §6.1 error form. */
  configPath?: string | undefined;
  /** Where a bad environment value is reported (it never stops the run). */
  warn?: (line: string) => void;
};

const TRACES_PATH = "/v1/traces";

/** A base URL gets `/v1/traces`; a URL already ending in `/v1/traces` is used as given (SPEC §20). */
export function tracesUrl(base: string): string {
  if (base.endsWith(TRACES_PATH)) return base;
  return `${base.replace(/\/+$/, "")}${TRACES_PATH}`;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/**
 * `OTEL_EXPORTER_OTLP_HEADERS` syntax: `k=v,k2=v2`, keys and values trimmed, values percent-decoded (the OTel
 * environment convention). Entries without `=` or with an empty key are skipped rather than failing the run.
 */
export function parseOtlpHeaders(text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (text === undefined) return headers;
  for (const entry of text.split(",")) {
    const eq = entry.indexOf("=");
    if (eq === -1) continue;
    const key = entry.slice(0, eq).trim();
    if (key === "") continue;
    const raw = entry.slice(eq + 1).trim();
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      // A stray `%` is kept literally: a header value is better than no telemetry.
    }
    headers[key] = value;
  }
  return headers;
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim();

/**
 * Endpoint precedence (SPEC §20 and issue 6): `--otel-endpoint` > `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (as is) >
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/traces`) > config `telemetry.endpoint` (like the flag). Headers: config
 * `telemetry.headers`, overridden key by key by `OTEL_EXPORTER_OTLP_HEADERS`.
 *
 * A bad flag or config value is a usage error (exit 2); a bad environment value only warns and turns telemetry off,
 * because a stray variable in a CI environment should not stop every run.
 */
export function resolveTelemetrySettings(inputs: TelemetryInputs): TelemetrySettings {
  const { env } = inputs;
  const headers = { ...(inputs.config?.headers ?? {}), ...parseOtlpHeaders(env.OTEL_EXPORTER_OTLP_HEADERS) };
  const off: TelemetrySettings = { endpoint: null, headers, source: null };

  const cli = nonEmpty(inputs.cliEndpoint);
  if (cli !== undefined) {
    if (!isHttpUrl(cli)) throw new UsageError(`Invalid value for --otel-endpoint: ${cli} (expected an http(s) URL).`);
    return { endpoint: tracesUrl(cli), headers, source: "--otel-endpoint" };
  }

  for (const name of ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"] as const) {
    const value = nonEmpty(env[name]);
    if (value === undefined) continue;
    if (!isHttpUrl(value)) {
      inputs.warn?.(`Telemetry disabled: ${name} is not an http(s) URL: ${value}`);
      return off;
    }
    const endpoint = name === "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" ? value : tracesUrl(value);
    return { endpoint, headers, source: name };
  }

  const configured = nonEmpty(inputs.config?.endpoint);
  if (configured !== undefined) {
    if (!isHttpUrl(configured)) {
      const where = inputs.configPath ?? "codex.orchestrator.json";
      throw new UsageError(`Invalid config ${where}: /telemetry/endpoint: expected an http(s) URL`);
    }
    return { endpoint: tracesUrl(configured), headers, source: "config" };
  }
  return off;
}
