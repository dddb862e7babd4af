import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EventStream } from "../../src/core/event-stream.ts";
import { configureRedaction } from "../../src/core/redact.ts";
import { CommandEvents } from "../../src/exec/command-events.ts";
import { OutputSink } from "../../src/exec/output-sink.ts";
import { RunLog } from "../../src/run/run-log.ts";
import { RunRecorder } from "../../src/run/run-recorder.ts";
import { useTempDirs } from "./fixtures/temp.ts";

const tempDir = useTempDirs();
afterEach(() => configureRedaction({}));

const lines = (path: string) =>
  readFileSync(path, "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l));

describe("the run recorder (a subscriber of the stream, issue 16)", () => {
  test("writes the exec events of its run's stages into their logs; chunks only into the stage's file, as the same data", async () => {
    const dir = tempDir();
    const stream = new EventStream();
    const printed: string[] = [];
    stream.subscribe((event) => {
      printed.push(event.type);
    });
    const log = new RunLog(dir);
    const recorder = new RunRecorder(log, "run-1");
    stream.subscribe(recorder.onEvent);
    await recorder.openStage(1, "build", "make all");
    const toolRun = recorder.watchToolRun("c-1");
    const events = new CommandEvents(stream, {
      runId: "run-1",
      stageId: "build",
      correlationId: "c-1",
      command: "make all",
      args: [],
      cwd: "/repo",
      sessionId: "s-1",
      persisted: false,
      argv: ["/bin/sh", "-c", "make all"],
    });
    // Events of another run (a child run on the same stream) and of a stage without an open log are not this log's.
    const other = new CommandEvents(stream, { runId: "run-2", stageId: "build", correlationId: "c-2", command: "x", args: [], cwd: "/", sessionId: "s", persisted: false, argv: ["x"] });
    const sandbox = { sandboxState: "unsandboxed" as const, sandboxBackend: null, landlockAbi: null };
    await events.begin(1, sandbox, { sandboxMode: null, approvalSource: "not-required", traceparent: null });
    await other.begin(1, sandbox, { sandboxMode: null, approvalSource: "not-required", traceparent: null });
    const sink = new OutputSink("stdout", events.chunks(1));
    await sink.write(new TextEncoder().encode('say "hi"\n'));
    await sink.end();
    await events.retry({ attempt: 1, delayMs: 250, sandboxState: "sandboxed", errorMessage: "denied" });
    await events.end(1, sandbox, {
      exitCode: 0,
      signal: null,
      durationMs: 3,
      stdout: sink.tail.text(),
      stderr: "",
      stdoutBytes: 9,
      stderrBytes: 0,
      timedOut: false,
      cancelledBy: null,
      spawnError: null,
    });
    await recorder.closeStage("build", { exit_code: 0, signal: null, duration_ms: 3 });
    await log.close();

    const stage = lines(join(dir, "commands/01-build.ndjson"));
    expect(stage.map((l) => l.type)).toEqual(["command:start", "exec:begin", "exec:chunk", "exec:retry", "exec:end", "command:end"]);
    expect(stage[1]).toMatchObject({ correlation_id: "c-1", attempt: 1, command: "make all", session_id: "s-1", sandbox_state: "unsandboxed", index: 1 });
    expect(stage[2]).toMatchObject({ correlation_id: "c-1", stream: "stdout", sequence: 1, bytes: 9, data: 'say "hi"\n' });
    expect(stage[3]).toMatchObject({ type: "exec:retry", delay_ms: 250, error: "denied" });
    expect(stage[4]).toMatchObject({ type: "exec:end", exit_code: 0, status: "succeeded" });
    const runner = lines(join(dir, "runner.ndjson"));
    expect(runner.map((l) => l.type)).toEqual(["command:start", "exec:begin", "exec:retry", "exec:end", "command:end"]);
    expect(printed).toEqual(["exec:begin", "exec:begin", "exec:chunk", "exec:retry", "exec:end"]);
    // The invocation's events for its tool-run record: its own only (not run-2's).
    expect(toolRun.list().map((e) => [e.type, e.correlationId])).toEqual([
      ["exec:begin", "c-1"],
      ["exec:chunk", "c-1"],
      ["exec:retry", "c-1"],
      ["exec:end", "c-1"],
    ]);
  });

  test("redaction happens once: the stream redacts the event's fields, the byte source the output; the log writes them as they are", async () => {
    configureRedaction({ DEPLOY_TOKEN: "s3cr3t-value" });
    const dir = tempDir();
    const stream = new EventStream();
    const seen: unknown[] = [];
    stream.subscribe((event) => {
      seen.push(event.payload);
    });
    const log = new RunLog(dir);
    const recorder = new RunRecorder(log, "run-1");
    stream.subscribe(recorder.onEvent);
    await recorder.openStage(1, "deploy", "deploy --token s3cr3t-value");
    const events = new CommandEvents(stream, {
      runId: "run-1",
      stageId: "deploy",
      correlationId: "c-1",
      command: "deploy --token s3cr3t-value",
      args: [],
      cwd: "/repo",
      sessionId: "s-1",
      persisted: false,
      argv: ["deploy", "--token", "s3cr3t-value"],
    });
    const context = { sandboxMode: null, approvalSource: "not-required" as const, traceparent: null };
    const begin = await events.begin(1, { sandboxState: "unsandboxed", sandboxBackend: null, landlockAbi: null }, context);
    const sink = new OutputSink("stdout", events.chunks(1));
    // Split across two reads: the byte source holds the prefix back until it knows.
    await sink.write(new TextEncoder().encode("got s3cr"));
    await sink.write(new TextEncoder().encode("3t-value\n"));
    await sink.end();
    await recorder.closeStage("deploy", { exit_code: 0, signal: null, duration_ms: 1 });
    await log.close();

    expect(begin.payload.argv).toEqual(["deploy", "--token", "***"]);
    expect(begin.payload.command).toBe("deploy --token ***");
    const text = readFileSync(join(dir, "commands/01-deploy.ndjson"), "utf8");
    expect(text).not.toContain("s3cr3t");
    const data = lines(join(dir, "commands/01-deploy.ndjson"))
      .filter((l) => l.type === "exec:chunk")
      .map((l) => l.data)
      .join("");
    expect(data).toBe("got ***\n");
    expect(JSON.stringify(seen)).not.toContain("s3cr3t");
  });
});
