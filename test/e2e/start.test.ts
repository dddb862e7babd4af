import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import * as v from "valibot";
import { EventEnvelope, RunSummaryPayload } from "../../src/core/schemas/events.ts";
import { ErrorArtifact, MetricsLine, RunSummary, TaskState } from "../../src/core/schemas/records.ts";
import { CLI, runCli, scratchDir } from "../helpers/cli.ts";
import { startOtlpReceiver } from "../helpers/otlp-receiver.ts";
import { specWorkspace } from "../pipeline/fixture.ts";
import { manifestOf, metricsLines, readValidManifest, runDirOf, runIds } from "../helpers/runs.ts";

const RUN_ID = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-[0-9a-f]{8}$/;
const MISSING = "Guardrail command missing; add a `codex-orchestrator spec-guard` stage to record guardrail results.";

describe("start: refusals before anything is written (checks 2, 5, 6)", () => {
  test("bad options, unknown pipeline, zero stages, invalid config", async () => {
    const w = specWorkspace();
    const bogus = await runCli(["start", "--bogus"], { cwd: w });
    expect([bogus.code, bogus.stderr]).toEqual([2, "Unknown start option: --bogus\n"]);
    const xml = await runCli(["start", "--format", "xml"], { cwd: w });
    expect([xml.code, xml.stderr]).toEqual([2, "Invalid value for --format: xml (expected json, text or jsonl).\n"]);
    const nope = await runCli(["start", "nope"], { cwd: w });
    expect([nope.code, nope.stderr]).toEqual([2, "Pipeline 'nope' not found.\n"]);
    const empty = await runCli(["start", "empty"], { cwd: w });
    expect([empty.code, empty.stderr]).toEqual([2, "Planner returned no executable subtasks.\n"]);
    expect(existsSync(join(w, ".runs"))).toBe(false);

    const bad = specWorkspace({ pipelines: [{ id: "x", title: "X", stages: [{ kind: "command", id: "a", title: "A" }] }] });
    const r = await runCli(["start", "x"], { cwd: bad });
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(join(bad, "codex.orchestrator.json"));
    expect(r.stderr).toContain("/pipelines/0/stages/0/command");
    const notJson = specWorkspace("{ nope");
    const r2 = await runCli(["start"], { cwd: notJson });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(join(notJson, "codex.orchestrator.json"));
    expect(existsSync(join(bad, ".runs")) || existsSync(join(notJson, ".runs"))).toBe(false);
  });
});

describe("start: a successful run (checks 7–10)", () => {
  test("JSON output, files on disk, manifest, logs", async () => {
    const w = specWorkspace();
    const r = await runCli(["start", "--format", "json"], { cwd: w });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(["run_id", "status", "artifact_root", "manifest", "log_path"]);
    expect(out.status).toBe("succeeded");
    expect(out.run_id).toMatch(RUN_ID);
    const runId = out.run_id as string;
    expect(out.artifact_root).toBe(`.runs/t1/cli/${runId}`);
    expect(out.manifest).toBe(`${out.artifact_root}/manifest.json`);
    expect(out.log_path).toBe(`${out.artifact_root}/runner.ndjson`);
    // Recorded in the summary, never printed (issue 22.8).
    expect(r.stderr).not.toContain("Guardrail command");

    // Check 8: the files.
    const dir = runDirOf(w, runId);
    for (const f of ["manifest.json", ".heartbeat", ".resume-token", "runner.ndjson", "commands/01-echo-ok.ndjson", "errors", "run-summary.json"]) {
      expect(existsSync(join(dir, f))).toBe(true);
    }
    expect(statSync(join(dir, "errors")).isDirectory()).toBe(true);
    const metrics = metricsLines(w);
    expect(metrics).toHaveLength(1);
    expect(v.is(MetricsLine, metrics[0])).toBe(true);
    const state = JSON.parse(readFileSync(join(w, "out/t1/state.json"), "utf8"));
    expect(v.is(TaskState, state)).toBe(true);
    expect(state.taskId).toBe("t1");
    expect(state.runs.map((x: { runId: string }) => x.runId)).toEqual([runId]);
    for (const gone of [".runs/t1/mcp", ".runs/local-mcp", `.runs/t1/${runId}`, ".runs/t1.lock", ".runs/t1/metrics.json.lock"]) {
      expect(existsSync(join(w, gone))).toBe(false);
    }

    // Check 9: the manifest.
    const m = manifestOf(w, runId);
    expect([m.version, m.schema_version, m.runner]).toEqual([1, 1, "codex-cli"]);
    expect([m.heartbeat_interval_seconds, m.heartbeat_stale_after_seconds, m.metrics_recorded]).toEqual([5, 30, true]);
    expect(m.compat_path).toBe(m.artifact_root);
    expect(m.resume_token).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(dir, ".resume-token"), "utf8").trim()).toBe(m.resume_token);
    const c = m.commands[0];
    expect([c?.index, c?.status, c?.exit_code, c?.summary, c?.error_file]).toEqual([1, "succeeded", 0, "ok", null]);
    expect(m.instructions_sources).toEqual(["AGENTS.md"]);
    expect(m.instructions_hash).toBe("1d1a9fbd5a751c8a957d1fd5435563e667b187a5fa4edf3b6fb7a415af9cd678");
    expect(m.instructions.sources).toEqual([{ path: "AGENTS.md", bytes: 16 }]);
    expect(m.toolRuns).toHaveLength(1);
    expect([m.toolRuns[0]?.tool, m.toolRuns[0]?.approvalSource]).toEqual(["cli:command", "not-required"]);
    expect(m.metrics?.approvalReuse).toBe(0);
    expect(m.summary).toBe(`${MISSING}\nGuardrails: spec-guard command not found.`);
    expect(m.status_detail).toBeNull();
    expect(readFileSync(join(dir, ".heartbeat"), "utf8").trim()).toBe(m.heartbeat_at as string);
    expect(m.run_summary_path).toBe(`${out.artifact_root}/run-summary.json`);

    // RunSummary (§9.1).
    const summary = JSON.parse(readFileSync(join(dir, "run-summary.json"), "utf8"));
    expect(v.is(RunSummary, summary)).toBe(true);
    expect(summary.build).toMatchObject({ subtaskId: "simple:echo-ok", mode: "mcp", runId, success: true, notes: "emit ok: ok" });
    expect(summary.test).toMatchObject({ success: false, reports: [{ name: "guardrails", status: "failed" }] });
    expect(summary.review.summary.split("\n")[0]).toBe("Pipeline 'Simple pipeline' (simple) succeeded.");

    // Check 10: the stage logs.
    // The stage's log holds every line; runner.ndjson all but the output chunks (one copy of the output, issue 22.12).
    const log = readFileSync(join(dir, "commands/01-echo-ok.ndjson"), "utf8");
    const lines = log.trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(["command:start", "exec:begin", "exec:chunk", "exec:chunk", "exec:end", "command:end"]);
    // stdout and stderr are two pipes: which one is read first is the machine's choice, not the tool's.
    expect(
      lines
        .filter((l) => l.type === "exec:chunk")
        .map((l) => [l.stream, l.data])
        .sort(),
    ).toEqual([
      ["stderr", "warn\n"],
      ["stdout", "ok\n"],
    ]);
    for (const l of lines) {
      expect(typeof l.timestamp).toBe("string");
      expect(l.index).toBe(1);
      expect(Object.keys(l).slice(-2)).toEqual(["timestamp", "index"]);
    }
    expect(lines.filter((l) => l.type === "exec:chunk").map((l) => l.sequence)).toEqual([1, 2]);
    const runner = readFileSync(join(dir, "runner.ndjson"), "utf8");
    expect(runner).toBe(log.split("\n").filter((l) => !l.includes('"type":"exec:chunk"')).join("\n"));
  });

  test("text output; --parent-run and --approval-policy are recorded", async () => {
    const w = specWorkspace();
    const parentRun = "2025-11-04T02-45-12-345Z-abcdef01";
    const r = await runCli(["start", "simple", "--parent-run", parentRun, "--approval-policy=never"], { cwd: w });
    expect(r.code).toBe(0);
    const [runId] = runIds(w);
    expect(r.stdout).toBe(
      `Run started: ${runId}\nStatus: succeeded\nManifest: .runs/t1/cli/${runId}/manifest.json\nLog: .runs/t1/cli/${runId}/runner.ndjson\n`,
    );
    const m = manifestOf(w, runId as string);
    expect([m.parent_run_id, m.approval_policy]).toEqual([parentRun, "never"]);
  });
});

describe("start: failures (checks 11, 15)", () => {
  test("a failing stage stops the pipeline (check 11)", async () => {
    const w = specWorkspace();
    writeFileSync(join(w, "fail.flag"), "");
    const r = await runCli(["start", "failable"], { cwd: w });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Status: failed\n");
    const [runId] = runIds(w);
    const m = manifestOf(w, runId as string);
    expect(m.status).toBe("failed");
    expect(m.status_detail).toBe("stage:fail-once:failed");
    expect(m.commands.map((c) => c.status)).toEqual(["succeeded", "failed", "pending"]);
    expect([m.commands[1]?.exit_code, m.commands[1]?.summary]).toEqual([3, "Exited with code 3 — failing"]);
    expect(m.commands[1]?.error_file).toBe(`.runs/t1/cli/${runId}/errors/02-fail-once.json`);
    expect([m.commands[2]?.started_at, m.commands[2]?.summary]).toEqual([null, null]);
    const artifact = JSON.parse(readFileSync(join(runDirOf(w, runId as string), "errors/02-fail-once.json"), "utf8"));
    expect(v.is(ErrorArtifact, artifact)).toBe(true);
    expect(artifact.reason).toBe("command-failed");
    expect(artifact.details).toMatchObject({ exit_code: 3, stderr: "failing" });
    expect(m.summary?.split("\n")[0]).toBe("Stage 'fail once' failed with exit code 3.");
    expect(metricsLines(w)[0]).toMatchObject({ status: "failed", commands_passed: 1, commands_failed: 1 });
  });

  test("an unknown sub-pipeline is an execution error (check 15)", async () => {
    const w = specWorkspace();
    const r = await runCli(["start", "badparent", "--format", "json"], { cwd: w });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe("failed");
    const m = manifestOf(w, out.run_id);
    expect(m.status_detail).toBe("subpipeline:nope:error");
    expect(m.commands[0]?.status).toBe("failed");
    expect(m.commands[0]?.summary).toBe("Execution error: Pipeline 'nope' not found.");
    expect(m.summary).toContain("Execution error: Pipeline 'nope' not found.");
    expect(m.child_runs).toEqual([]);
    expect(runIds(w)).toHaveLength(1);
  });

  test("a spawn failure (missing cwd) fails the stage with stage:<id>:error", async () => {
    const w = specWorkspace({ pipelines: [{ id: "p", title: "P", stages: [{ kind: "command", id: "a", title: "A", command: "true", cwd: "missing" }] }] });
    const r = await runCli(["start", "p", "--format", "json"], { cwd: w });
    expect(r.code).toBe(1);
    const m = manifestOf(w, JSON.parse(r.stdout).run_id);
    expect(m.status_detail).toBe("stage:a:error");
    expect(m.commands[0]?.status).toBe("failed");
    expect(m.commands[0]?.summary).toStartWith("Execution error: ");
    expect(m.summary?.split("\n")[0]).toBe(m.commands[0]?.summary as string);
  });
});

describe("start: sub-pipelines and sessions (checks 14, 16)", () => {
  test("child runs: parent, optional failure", async () => {
    const w = specWorkspace();
    const r = await runCli(["start", "parent", "--format", "json"], { cwd: w });
    expect(r.code).toBe(0);
    const parentId = JSON.parse(r.stdout).run_id as string;
    const parent = manifestOf(w, parentId);
    const entry = parent.commands[0];
    const childId = entry?.sub_run_id as string;
    expect(childId).toMatch(RUN_ID);
    expect(parent.child_runs).toEqual([{ run_id: childId, pipeline_id: "simple", status: "succeeded", manifest: `.runs/t1/cli/${childId}/manifest.json` }]);
    expect([entry?.command, entry?.kind, entry?.status]).toEqual([null, "subpipeline", "succeeded"]);
    expect(entry?.summary).toStartWith("Pipeline 'Simple pipeline' (simple) succeeded.");
    const child = manifestOf(w, childId);
    expect([child.parent_run_id, child.pipeline_id, child.status]).toEqual([parentId, "simple", "succeeded"]);
    const metrics = metricsLines(w);
    expect(metrics).toHaveLength(2);
    expect(metrics.find((l) => l.run_id === parentId)?.child_runs).toBe(1);
    const state = JSON.parse(readFileSync(join(w, "out/t1/state.json"), "utf8"));
    expect(state.runs.map((x: { runId: string }) => x.runId).sort()).toEqual([parentId, childId].sort());

    const opt = await runCli(["start", "optparent", "--format", "json"], { cwd: w });
    expect(opt.code).toBe(0);
    const om = manifestOf(w, JSON.parse(opt.stdout).run_id);
    expect([om.status, om.commands[0]?.status, om.child_runs[0]?.status]).toEqual(["succeeded", "skipped", "failed"]);
  });

  test("a persisted session carries the later stage's env (check 16)", async () => {
    const w = specWorkspace();
    const r = await runCli(["start", "sess", "--format", "json"], { cwd: w });
    expect(r.code).toBe(0);
    const m = manifestOf(w, JSON.parse(r.stdout).run_id);
    expect(m.commands.map((c) => c.summary)).toEqual(["1", "2"]);
    expect(m.commands.map((c) => (c as { session?: { persisted: boolean } }).session?.persisted)).toEqual([true, true]);
  });

  test("a persisted session keeps shell state between stages", async () => {
    const stages = [
      { kind: "command", id: "a", title: "a", command: "cd sub && export B=x", session: { id: "k", persist: true } },
      { kind: "command", id: "b", title: "b", command: 'echo "$(basename "$PWD") $B"', session: { id: "k", reuse: true } },
    ];
    const w = specWorkspace({ pipelines: [{ id: "p", title: "P", stages }] });
    mkdirSync(join(w, "sub"));
    const r = await runCli(["start", "p", "--format", "json"], { cwd: w });
    expect(r.code).toBe(0);
    expect(manifestOf(w, JSON.parse(r.stdout).run_id).commands[1]?.summary).toBe("sub x");
  });
});

describe("start: stage options, --format jsonl", () => {
  test("cwd, env, allowFailure, summaryHint, timeout", async () => {
    const stages = [
      { kind: "command", id: "where", title: "where", command: 'echo "$(basename "$PWD") $X"', cwd: "sub", env: { X: "y" } },
      { kind: "command", id: "soft", title: "soft", command: "exit 5", allowFailure: true },
      { kind: "command", id: "hinted", title: "hinted", command: "echo no", summaryHint: "the hint" },
      { kind: "command", id: "slow", title: "slow", command: "sleep 20", timeout: 0.5 },
    ];
    const w = specWorkspace({ pipelines: [{ id: "p", title: "P", stages }] });
    mkdirSync(join(w, "sub"));
    const r = await runCli(["start", "p", "--format", "json"], { cwd: w });
    expect(r.code).toBe(1);
    const m = manifestOf(w, JSON.parse(r.stdout).run_id);
    expect(m.commands.map((c) => [c.status, c.summary])).toEqual([
      ["succeeded", "sub y"],
      ["skipped", "Exited with code 5"],
      ["succeeded", "the hint"],
      ["failed", "Command timed out after 0.5s"],
    ]);
    expect(m.commands[1]?.error_file).toBeNull();
    expect(m.commands[3]?.exit_code).toBe(143);
    expect(m.status_detail).toBe("stage:slow:failed");
  });

  test("--format jsonl streams stage events, exec events and run:summary", async () => {
    const w = specWorkspace();
    const r = await runCli(["start", "parent", "--format", "jsonl"], { cwd: w });
    expect(r.code).toBe(0);
    const events = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    for (const e of events) expect(v.is(EventEnvelope, e)).toBe(true);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => e.type)).toEqual([
      "stage:begin",
      "stage:begin",
      "exec:begin",
      "exec:chunk",
      "exec:chunk",
      "exec:end",
      "stage:end",
      "stage:end",
      "run:summary",
    ]);
    const last = events.at(-1);
    expect(v.is(RunSummaryPayload, last.payload)).toBe(true);
    const [parentId] = runIds(w).filter((id) => manifestOf(w, id).pipeline_id === "parent");
    expect(last.payload).toMatchObject({ status: "succeeded", result: null, command: null, outputs: null, toolRun: null, runId: parentId });
    expect(last.payload.run.pipelineId).toBe("parent");
    expect(last.payload.stages).toEqual([expect.objectContaining({ index: 1, id: "child", kind: "subpipeline", status: "succeeded", exit_code: null })]);
    expect(events[1].payload.pipelineId).toBe("simple");
  });
});

describe("start: notifications and telemetry (checks 38, 39)", () => {
  test("a cmd: hook gets the compact run:summary; bad targets are refused", async () => {
    const w = specWorkspace();
    writeFileSync(join(w, "notify.sh"), "#!/bin/sh\ncat > notified.json\n", { mode: 0o755 });
    const r = await runCli(["start", "--notify", "cmd:./notify.sh", "--format", "json"], { cwd: w });
    expect(r.code).toBe(0);
    const body = readFileSync(join(w, "notified.json"), "utf8");
    expect(body.trim().split("\n")).toHaveLength(1);
    const event = JSON.parse(body);
    expect(event.type).toBe("run:summary");
    expect(event.payload.run.pipelineId).toBe("simple");
    expect(event.payload.notifications).toEqual({ targets: ["cmd:./notify.sh"], delivered: [], failures: [] });
    expect(event.payload.stages).toEqual([{ index: 1, id: "echo-ok", title: "emit ok", kind: "command", status: "succeeded", exit_code: 0, summary: "ok" }]);
    const m = manifestOf(w, JSON.parse(r.stdout).run_id);
    expect(m.notifications).toEqual({ targets: ["cmd:./notify.sh"], delivered: ["cmd:./notify.sh"], failures: [] });
    const bad = await runCli(["start", "--notify", "ftp://x"], { cwd: w });
    expect(bad.code).toBe(2);
    expect(runIds(w)).toHaveLength(1);
  });

  test("spans: run → stage → exec, a child run's run span under its sub-pipeline stage", async () => {
    const receiver = await startOtlpReceiver();
    try {
      const w = specWorkspace();
      const r = await runCli(["start", "parent", "--format", "json"], { cwd: w, env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.base } });
      expect(r.code).toBe(0);
      const spans = receiver.spans();
      const runs = spans.filter((s) => s.name === "run");
      expect(runs).toHaveLength(2);
      const parentRun = runs.find((s) => s.attributes["codex_orchestrator.pipeline_id"] === "parent");
      const childRun = runs.find((s) => s.attributes["codex_orchestrator.pipeline_id"] === "simple");
      const childStage = spans.find((s) => s.name === "stage child");
      const echoStage = spans.find((s) => s.name === "stage echo-ok");
      const exec = spans.find((s) => s.name === "exec");
      expect(childStage?.parentSpanId).toBe(parentRun?.spanId as string);
      expect(childRun?.parentSpanId).toBe(childStage?.spanId as string);
      expect(echoStage?.parentSpanId).toBe(childRun?.spanId as string);
      expect(exec?.parentSpanId).toBe(echoStage?.spanId as string);
      expect(parentRun?.attributes["codex_orchestrator.run_id"]).toBe(JSON.parse(r.stdout).run_id);
      expect(parentRun?.attributes["codex_orchestrator.status"]).toBe("succeeded");
    } finally {
      await receiver.close();
    }
  });
});

describe("start: progress in a terminal", () => {
  test("under a pseudo-terminal: a spinner line per stage, final marks, then the result", () => {
    const w = specWorkspace();
    const r = spawnSync("script", ["-qec", `${CLI} start parent`, "/dev/null"], { cwd: w, env: { ...process.env, MCP_RUNNER_TASK_ID: "t1", TERM: "xterm" }, encoding: "utf8", timeout: 30_000 });
    expect(r.status).toBe(0);
    const plain = r.stdout.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, "g"), "");
    expect(plain).toContain("▸ child");
    expect(plain).toContain("  ✔ emit ok");
    expect(plain).toContain("✔ child");
    expect(plain).toMatch(/Run started: \S+\r?\nStatus: succeeded\r?\n/);
  });
});

describe("start: roots, locks, task ids (checks 33, 34, 36)", () => {
  test("store roots from the environment; nothing written in the cwd (check 33)", async () => {
    const base = scratchDir();
    const [R, X, O, C] = ["repo", "runsdir", "outdir", "cwd"].map((n) => join(base, n)) as [string, string, string, string];
    mkdirSync(C);
    const repo = specWorkspace();
    spawnSync("mv", [repo, R]);
    const r = await runCli(["start", "--format", "json"], {
      cwd: C,
      env: { CODEX_ORCHESTRATOR_ROOT: R, CODEX_ORCHESTRATOR_RUNS_DIR: X, CODEX_ORCHESTRATOR_OUT_DIR: O },
    });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.artifact_root).toBe(`../runsdir/t1/cli/${out.run_id}`);
    readValidManifest(join(X, "t1/cli", out.run_id, "manifest.json"));
    expect(readFileSync(join(X, "t1/metrics.json"), "utf8").trim().split("\n")).toHaveLength(1);
    expect(existsSync(join(O, "t1/state.json"))).toBe(true);
    expect(readdirSync(C)).toEqual([]);
  });

  test("a live state lock is waited for, then skipped; stale locks are broken (check 34)", async () => {
    const w = specWorkspace();
    mkdirSync(join(w, ".runs"), { recursive: true });
    const holder = Bun.spawn(["sleep", "60"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    const lock = join(w, ".runs/t1.lock");
    try {
      writeFileSync(lock, `${holder.pid}\n`);
      const r = await runCli(["start", "--format", "json"], { cwd: w });
      expect(r.code).toBe(0);
      const runId = JSON.parse(r.stdout).run_id;
      manifestOf(w, runId);
      expect(metricsLines(w)).toHaveLength(1);
      const skipped = `Task state snapshot skipped for task t1 (run ${runId}): Failed to acquire task state lock for t1 after 5 attempts`;
      const notRecorded = `Task state snapshot not recorded for task t1 (run ${runId})`;
      expect(r.stderr).toContain(skipped);
      expect(r.stderr.indexOf(notRecorded)).toBeGreaterThan(r.stderr.indexOf(skipped));
      expect(existsSync(join(w, "out/t1/state.json"))).toBe(false);
      expect(readFileSync(lock, "utf8")).toBe(`${holder.pid}\n`);
    } finally {
      holder.kill("SIGKILL");
    }
    // A lock of an exited process, then an old lock of a live one: both broken.
    const gone = Bun.spawn(["true"]);
    await gone.exited;
    writeFileSync(lock, `${gone.pid}\n`);
    const r2 = await runCli(["start"], { cwd: w });
    expect(r2.code).toBe(0);
    expect(existsSync(lock)).toBe(false);
    writeFileSync(lock, `${process.pid}\n`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const r3 = await runCli(["start"], { cwd: w });
    expect(r3.code).toBe(0);
    expect(existsSync(lock)).toBe(false);
    expect(JSON.parse(readFileSync(join(w, "out/t1/state.json"), "utf8")).runs).toHaveLength(2);
  });

  test("task ids are used as given and validated; .env is ignored (check 36)", async () => {
    const w = specWorkspace();
    expect((await runCli(["start"], { cwd: w, env: { MCP_RUNNER_TASK_ID: "demo-Task.1" } })).code).toBe(0);
    expect(runIds(w, "demo-Task.1")).toHaveLength(1);
    for (const bad of ["Other Task!", ".hidden", "a..b"]) {
      const r = await runCli(["start", "--task", bad], { cwd: w });
      expect(r.code).toBe(2);
      expect(r.stderr).toStartWith(`Invalid task ID "${bad}" from --task: `);
    }
    writeFileSync(join(w, ".env"), "MCP_RUNNER_TASK_ID=fromdotenv\n");
    expect((await runCli(["start"], { cwd: w, env: { MCP_RUNNER_TASK_ID: undefined } })).code).toBe(0);
    expect(runIds(w, "0101")).toHaveLength(1);
    expect(existsSync(join(w, ".runs/fromdotenv"))).toBe(false);
  });
});

describe("start: guardrails through the running executable (check 42)", () => {
  test("guarded and legacy pipelines in a git repository, CLI not on PATH", async () => {
    const w = specWorkspace();
    const git = (...args: string[]) => spawnSync("git", ["-c", "user.email=t@e", "-c", "user.name=t", ...args], { cwd: w });
    git("init", "-q");
    git("add", "-A");
    git("commit", "-qm", "fixture");
    const path = (process.env.PATH ?? "").split(":").filter((d) => d !== dirname(CLI) && !existsSync(join(d, "codex-orchestrator")));
    const r = await runCli(["start", "guarded", "--format", "json"], { cwd: w, env: { PATH: path.join(":") } });
    expect(r.code).toBe(0);
    const m = manifestOf(w, JSON.parse(r.stdout).run_id);
    expect(m.commands[0]?.status).toBe("succeeded");
    expect(m.summary).toBe("Guardrails: spec-guard succeeded (1 passed).");
    expect(r.stderr).not.toContain("Guardrail command");
    expect(metricsLines(w).at(-1)?.guardrails_present).toBe(true);
    const legacy = await runCli(["start", "legacy"], { cwd: w, env: { PATH: path.join(":") } });
    expect(legacy.code).toBe(0);
    expect(metricsLines(w).at(-1)).toMatchObject({ pipeline_id: "legacy", guardrails_present: true });
  });
});
