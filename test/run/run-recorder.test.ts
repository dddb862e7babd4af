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

  test("chunk lines are byte for byte the JSON of their fields, over both streams, base64 and two attempts; the tool run keeps the last 64 KiB", async () => {
    const dir = tempDir();
    const stream = new EventStream();
    const log = new RunLog(dir);
    const recorder = new RunRecorder(log, "run-1");
    stream.subscribe(recorder.onEvent);
    await recorder.openStage(3, "out", "print");
    const toolRun = recorder.watchToolRun("c-9");
    const events = new CommandEvents(stream, { runId: "run-1", stageId: "out", correlationId: "c-9", command: "print", args: [], cwd: "/", sessionId: "s", persisted: false, argv: ["print"] });
    const sandbox = { sandboxState: "unsandboxed" as const, sandboxBackend: null, landlockAbi: null };
    const context = { sandboxMode: null, approvalSource: "not-required" as const, traceparent: null };
    const written: Record<"stdout" | "stderr", Buffer[]> = { stdout: [], stderr: [] };
    for (const attempt of [1, 2]) {
      await events.begin(attempt, sandbox, context);
      const sinks = { stdout: new OutputSink("stdout", events.chunks(attempt)), stderr: new OutputSink("stderr", events.chunks(attempt)) };
      for (let i = 0; i < 60; i++) {
        const name = i % 4 === 3 ? "stderr" : "stdout";
        // Text with escapes and multi-byte characters cut anywhere, now and then bytes that are not UTF-8.
        const piece = i % 9 === 8 ? Buffer.from([0xff, 0x0a, 0x22, i]) : Buffer.from(`${i}: "é€" \\ \t ${"x".repeat(i * 97)}\n`.repeat(1 + (i % 5)));
        if (attempt === 2) written[name].push(piece);
        await sinks[name].write(new Uint8Array(piece));
      }
      await sinks.stdout.end();
      await sinks.stderr.end();
    }
    await recorder.closeStage("out", { exit_code: 0, signal: null, duration_ms: 1 });
    await log.close();

    const raw = readFileSync(join(dir, "commands/03-out.ndjson"), "utf8").trimEnd().split("\n");
    const chunkLines = raw.filter((l) => l.startsWith('{"type":"exec:chunk"'));
    expect(chunkLines.length).toBeGreaterThan(100);
    for (const text of chunkLines) {
      const l = JSON.parse(text);
      const { type, correlation_id, attempt, stream: name, sequence, bytes, data, encoding, timestamp, index } = l;
      expect(text).toBe(JSON.stringify({ type, correlation_id, attempt, stream: name, sequence, bytes, data, ...(encoding ? { encoding } : {}), timestamp, index }));
      expect(index).toBe(3);
    }
    // Attempt 2's output, each stream rebuilt from its lines, is what was written.
    for (const name of ["stdout", "stderr"] as const) {
      const rebuilt = Buffer.concat(
        chunkLines
          .map((t) => JSON.parse(t))
          .filter((l) => l.attempt === 2 && l.stream === name)
          .map((l) => (l.encoding === "base64" ? Buffer.from(l.data, "base64") : Buffer.from(l.data))),
      );
      expect(rebuilt.equals(Buffer.concat(written[name]))).toBe(true);
      // The tool run's chunks of this stream (the last 64 KiB) are the end of it, read after everything was written.
      const kept = toolRun
        .list()
        .filter((e) => e.type === "exec:chunk" && e.stream === name)
        .map((e) => (e.encoding === "base64" ? Buffer.from(e.data as string, "base64") : Buffer.from(e.data as string)));
      const tail = Buffer.concat(kept);
      expect(tail.byteLength).toBeGreaterThan(0);
      expect(tail.byteLength).toBeLessThanOrEqual(65536);
      expect(rebuilt.subarray(rebuilt.byteLength - tail.byteLength).equals(tail)).toBe(true);
    }
    expect(toolRun.eventsTruncated).toBe(true);
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
