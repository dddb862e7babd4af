// Runtime-neutral fixtures of the SDK suites (Bun, Node, Deno): scratch repositories, the compiled binary under test,
// and fake "binaries" (shell scripts) that print what the real one never would. node: built-ins only.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The compiled binary under test: `CODEX_ORCHESTRATOR_TEST_BIN` (a private build) or `dist/codex-orchestrator`. */
export const CLI = process.env.CODEX_ORCHESTRATOR_TEST_BIN ?? join(REPO_ROOT, "dist/codex-orchestrator");

/** The built SDK the Node and Deno suites load: `CODEX_ORCHESTRATOR_SDK` or `dist/sdk/index.js`. */
export const BUILT_SDK = process.env.CODEX_ORCHESTRATOR_SDK ?? join(REPO_ROOT, "dist/sdk/index.js");

/** A fresh scratch directory (realpath, so it compares equal to what the CLI records). */
export function scratchDir(prefix = "co-sdk-") {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

/** Environment overrides for a client: the run store in `root`, task t1, none of the caller's orchestrator settings. */
export function clientEnv(root, extra = {}) {
  const env = {};
  for (const key of Object.keys(process.env)) {
    if (key.startsWith("CODEX_ORCHESTRATOR_") || key.startsWith("OTEL_") || key === "TRACEPARENT") env[key] = undefined;
  }
  return { ...env, CODEX_ORCHESTRATOR_ROOT: root, MCP_RUNNER_TASK_ID: "t1", ...extra };
}

/** Writes an executable `#!/bin/sh` script and returns its path. */
export function fakeBinary(dir, name, body) {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** One JSONL event line as the CLI prints it. */
export function eventLine(type, seq, payload, v = 1) {
  return JSON.stringify({ type, timestamp: "2026-01-01T00:00:00.000Z", v, seq, payload: { ...payload, runId: "r1" } });
}

/** A minimal exec `run:summary` payload (enough for the SDK: status, run, result, command, notifications). */
export function summaryPayload(status = "succeeded", exitCode = 0) {
  return {
    status,
    run: { id: "r1", taskId: "t1", pipelineId: "exec", manifest: ".runs/t1/cli/r1/manifest.json", artifactRoot: ".runs/t1/cli/r1", summary: null },
    result: { exitCode, signal: null, durationMs: 1, status: exitCode === 0 ? "succeeded" : "failed", sandboxState: "sandboxed", correlationId: "c1", attempts: 1, timedOut: false, spawnError: null },
    command: { argv: ["echo", "hi"], shell: "echo hi", cwd: "/tmp", sessionId: "s1", persisted: false, tty: false, sandboxMode: null },
    outputs: { stdout: "", stderr: "" },
    logs: { runner: ".runs/t1/cli/r1/runner.ndjson", command: null },
    toolRun: null,
    notifications: { targets: [], delivered: [], failures: [] },
    metrics: null,
  };
}

/** Quotes a string for a single-quoted sh word. */
export function shQuote(text) {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Whether the binary under test streams `start --format jsonl` (the pipeline engineer's work may not have landed). */
export function startStreams() {
  const dir = scratchDir("co-sdk-probe-");
  writeFileSync(join(dir, "codex.orchestrator.json"), JSON.stringify({ pipelines: [{ id: "p", title: "P", stages: [{ kind: "command", id: "s", title: "S", command: "true" }] }] }));
  const env = {};
  for (const [k, v] of Object.entries(clientEnv(dir))) if (v !== undefined) env[k] = v;
  const probe = spawnSync(CLI, ["start", "--format", "jsonl", "p"], { cwd: dir, env: { ...pick(process.env), ...env }, encoding: "utf8", timeout: 20_000 });
  return probe.status === 0 && probe.stdout.includes('"stage:begin"');
}

function pick(env) {
  const out = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !k.startsWith("CODEX_ORCHESTRATOR_")) out[k] = v;
  return out;
}
