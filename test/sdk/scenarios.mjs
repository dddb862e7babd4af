// The SDK behaviour every runtime must show, written once and registered by the Bun (test/sdk), Node (test/sdk-node)
// and Deno (test/sdk-deno) runners. Each scenario gets the SDK module under test (source or built bundle) and drives
// the compiled binary, or a fake one where the real binary would never misbehave that way.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, clientEnv, eventLine, fakeBinary, scratchDir, shQuote, summaryPayload } from "./fixtures.mjs";

/** Collects a handle's events until it ends (an async iteration). */
async function drain(handle) {
  const events = [];
  for await (const event of handle) events.push(event);
  return events;
}

/** Resolves with the handle's first event of `type` (compat `ExecRunHandle`). */
function firstEvent(handle, type) {
  return new Promise((resolve) => {
    const listener = (event) => {
      if (event.type !== type) return;
      handle.off("event", listener);
      resolve(event);
    };
    handle.on("event", listener);
  });
}

function exitOf(handle) {
  return new Promise((resolve) => handle.once("exit", resolve));
}

function assertStreamOrder(types) {
  assert.equal(types[0], "exec:begin");
  assert.equal(types.at(-1), "run:summary");
  assert.equal(types.at(-2), "exec:end");
  assert.ok(types.slice(1, -2).every((t) => t === "exec:chunk"), `unexpected order: ${types.join(", ")}`);
}

function assertSeq(events) {
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
}

/** A fake binary that prints `lines` (each a string) on stdout, then exits with `code`. */
function printingBinary(dir, lines, { code = 0, stderr = "", pause = false } = {}) {
  const body = lines.map((line) => `printf '%s\\n' ${shQuote(line)}`);
  if (pause) body.splice(1, 0, "sleep 0.2");
  if (stderr) body.push(`printf '%s\\n' ${shQuote(stderr)} >&2`);
  body.push(`exit ${code}`);
  return fakeBinary(dir, "fake-cli", body.join("\n"));
}

/** @param {any} sdk the SDK module */
export function scenarios(sdk) {
  const { ExecClient, Orchestrator } = sdk;
  const orchestrator = (root, extra = {}) => new Orchestrator({ binaryPath: CLI, cwd: root, env: clientEnv(root), ...extra });
  const client = (root, extra = {}) => new ExecClient({ cliPath: CLI, cwd: root, env: clientEnv(root), ...extra });

  return [
    {
      name: "check 45: ExecClient echo hi resolves succeeded with exit code 0, the manifest path, empty stderr",
      async run() {
        const root = scratchDir();
        const handle = client(root).run({ command: "echo", args: ["hi"] });
        const exit = exitOf(handle);
        const result = await handle.result;
        assert.equal(result.status, "succeeded");
        assert.equal(result.exitCode, 0);
        assert.match(result.manifestPath, /manifest\.json$/);
        assert.equal(result.rawStderr, "");
        assert.ok(existsSync(join(root, result.manifestPath)));
        assertStreamOrder(result.events.map((e) => e.type));
        assertSeq(result.events);
        assert.equal(handle.summary, result.summary);
        assert.deepEqual(await exit, { code: 0, signal: null });
      },
    },
    {
      name: "check 45: cancel() of a sleep 30 run gives a cancelled result and exit code 143",
      async run() {
        const root = scratchDir();
        const handle = client(root).run({ command: "sleep", args: ["30"] });
        const exit = exitOf(handle);
        await firstEvent(handle, "exec:begin");
        handle.cancel();
        handle.cancel(); // signals once
        const result = await handle.result;
        assert.equal(result.status, "cancelled");
        assert.equal((await exit).code, 143);
      },
    },
    {
      name: "ExecClient passes options in the order of SPEC §21 and merges env over the client env",
      async run() {
        const dir = scratchDir();
        const argsFile = join(dir, "args");
        const summary = eventLine("run:summary", 1, summaryPayload());
        const bin = fakeBinary(dir, "fake-cli", `printf '%s\\n' "$PWD" "$CLIENT_VAR" "$RUN_VAR" "$@" > ${shQuote(argsFile)}\nprintf '%s\\n' ${shQuote(summary)}`);
        const handle = new ExecClient({ cliPath: bin, cwd: dir, env: { CLIENT_VAR: "c", RUN_VAR: "client" } }).run({
          command: "ls",
          args: ["-la", "--all"],
          cwd: "sub",
          env: { RUN_VAR: "run" },
          notify: ["https://a.example/hook", "cmd:true"],
          otelEndpoint: "http://127.0.0.1:4318",
          taskId: "t9",
        });
        await handle.result;
        await exitOf(handle);
        assert.deepEqual(readFileSync(argsFile, "utf8").trimEnd().split("\n"), [
          dir, "c", "run",
          "exec", "--jsonl", "--task", "t9", "--cwd", "sub", "--otel-endpoint", "http://127.0.0.1:4318",
          "--notify", "https://a.example/hook", "--notify", "cmd:true", "--", "ls", "-la", "--all",
        ]);
        assert.throws(() => new ExecClient({ cliPath: bin }).run({ command: "" }), { message: "Exec command requires a command to run." });
      },
    },
    {
      name: "ExecClient: failure (exit 7), retry() and deriveRetryOptions",
      async run() {
        const root = scratchDir();
        const c = client(root);
        const handle = c.run({ command: "sh", args: ["-c", "exit 7"], taskId: "t2" });
        const exit = exitOf(handle);
        const result = await handle.result;
        assert.equal(result.status, "failed");
        assert.equal(result.exitCode, 7);
        assert.equal((await exit).code, 7);
        assert.deepEqual(sdk.deriveRetryOptions(result.summary), { command: "sh", args: ["-c", "exit 7"], cwd: root, notify: [], taskId: "t2" });
        const again = await handle.retry({ args: ["-c", "exit 0"] }).result;
        assert.equal(again.status, "succeeded");
        assert.equal(again.summary.run.taskId, "t2");
        assert.notEqual(again.summary.run.id, result.summary.run.id);
      },
    },
    {
      name: "Orchestrator maps its options to CLI flags (exec and start)",
      async run() {
        const dir = scratchDir();
        const argsFile = join(dir, "args");
        const summary = eventLine("run:summary", 1, summaryPayload());
        const bin = fakeBinary(dir, "fake-cli", `printf '%s\\n' "$@" >> ${shQuote(argsFile)}\nprintf '%s\\n' ${shQuote(summary)}`);
        const o = new Orchestrator({ binaryPath: bin, cwd: dir });
        await o.exec("ls", ["--all"], {
          task: "t1", notify: ["cmd:true", "https://h.example"], otelEndpoint: "http://127.0.0.1:1", approvalPolicy: "never",
          cwd: "sub", sandbox: "read-only", session: "s1", tty: true, timeout: 2.5, outputSchema: "schema.json", quiet: true,
        }).result;
        assert.deepEqual(readFileSync(argsFile, "utf8").trimEnd().split("\n"), [
          "exec", "--jsonl", "--task", "t1", "--otel-endpoint", "http://127.0.0.1:1", "--notify", "cmd:true",
          "--notify", "https://h.example", "--approval-policy", "never", "--cwd", "sub", "--sandbox", "read-only",
          "--session", "s1", "--tty", "--timeout", "2.5", "--output-schema", "schema.json", "--quiet", "--", "ls", "--all",
        ]);
        writeFileSync(argsFile, "");
        await o.exec("true", [], { sandbox: "workspace-write", sandboxNetwork: true, sandboxBackend: "landlock", sandboxFallback: "fail" }).result;
        assert.deepEqual(readFileSync(argsFile, "utf8").trimEnd().split("\n"), [
          "exec", "--jsonl", "--sandbox", "workspace-write", "--sandbox-network", "--sandbox-backend", "landlock",
          "--sandbox-fallback", "fail", "--", "true",
        ]);
        writeFileSync(argsFile, "");
        await o.exec("cat", [], { stdin: "x" }).result;
        assert.deepEqual(readFileSync(argsFile, "utf8").trimEnd().split("\n"), ["exec", "--jsonl", "--stdin", "--", "cat"]);
        writeFileSync(argsFile, "");
        await o.start("--weird", { task: "t2", parentRun: "p1", notify: "cmd:true" }).result;
        assert.deepEqual(readFileSync(argsFile, "utf8").trimEnd().split("\n"), [
          "start", "--format", "jsonl", "--task", "t2", "--notify", "cmd:true", "--parent-run", "p1", "--", "--weird",
        ]);
      },
    },
    {
      name: "Orchestrator: the timeout option reaches the command (timedOut in the summary)",
      async run() {
        const root = scratchDir();
        const summary = await orchestrator(root).exec("sleep", ["30"], { timeout: 0.3 }).result;
        assert.equal(summary.result.timedOut, true);
        assert.equal(summary.status, "failed");
      },
    },
    {
      name: "Orchestrator streams typed events in order and resolves the summary after the exit",
      async run() {
        const root = scratchDir();
        const handle = orchestrator(root).exec("sh", ["-c", "echo one; echo two >&2"]);
        const events = await drain(handle);
        assertStreamOrder(events.map((e) => e.type));
        assertSeq(events);
        const chunks = events.filter((e) => e.type === "exec:chunk").map((e) => `${e.payload.stream}:${e.payload.data}`);
        assert.deepEqual(chunks.sort(), ["stderr:two\n", "stdout:one\n"]);
        const summary = await handle.result;
        assert.equal(summary, events.at(-1).payload);
        assert.equal(summary.status, "succeeded");
        assert.equal(summary.run.id, handle.runId);
        assert.deepEqual(await handle.exit, { code: 0, signal: null });
      },
    },
    {
      name: "Orchestrator: the stdin option is the command's stdin (issue 22.10); tty output arrives as exec:chunk events (issue 22.3)",
      async run() {
        const root = scratchDir();
        assert.equal((await orchestrator(root).exec("cat", [], { stdin: "a\nb\n" }).result).outputs.stdout, "a\nb\n");
        assert.equal((await orchestrator(root).exec("cat", [], { stdin: new TextEncoder().encode("é\n") }).result).outputs.stdout, "é\n");
        assert.equal((await orchestrator(root).exec("cat").result).outputs.stdout, "");
        const events = await drain(orchestrator(root).exec("seq", ["1", "500"], { tty: true }));
        assertStreamOrder(events.map((e) => e.type));
        assertSeq(events);
        const chunks = events.filter((e) => e.type === "exec:chunk").map((e) => e.payload);
        assert.ok(chunks.length > 0);
        assert.deepEqual(chunks.map((c) => c.sequence), chunks.map((_, i) => i + 1));
        const expected = Array.from({ length: 500 }, (_, i) => `${i + 1}\n`).join("");
        assert.equal(chunks.map((c) => c.data).join("").replace(/\r\n/g, "\n"), expected);
      },
    },
    {
      name: "Orchestrator: a failing command (exit 7) resolves a failed summary; status() and retry() follow it",
      async run() {
        const root = scratchDir();
        const o = orchestrator(root);
        const handle = o.exec("sh", ["-c", "exit 7"], { task: "t3" });
        const summary = await handle.result;
        assert.equal(summary.status, "failed");
        assert.equal(summary.result.exitCode, 7);
        assert.equal((await handle.exit).code, 7);
        const report = await o.status(summary.run.id);
        assert.equal(report.run_id, summary.run.id);
        assert.equal(report.status, "failed");
        assert.equal(report.commands[0].exit_code, 7);
        const retried = await o.retry(summary, { args: ["-c", "exit 0"] }).result;
        assert.equal(retried.status, "succeeded");
        assert.equal(retried.run.taskId, "t3");
        await assert.rejects(o.status("2020-01-01T00-00-00-000Z-00000000"), (error) => {
          assert.ok(error instanceof sdk.CliCommandError);
          assert.equal(error.exitCode, 2);
          assert.match(error.message, /^Run '2020-01-01T00-00-00-000Z-00000000' not found/);
          return true;
        });
      },
    },
    {
      name: "Orchestrator: an AbortSignal cancels the run; the cancelled summary still resolves",
      async run() {
        const root = scratchDir();
        const controller = new AbortController();
        const handle = orchestrator(root).exec("sleep", ["30"], { signal: controller.signal });
        const seen = [];
        for await (const event of handle) {
          seen.push(event.type);
          if (event.type === "exec:begin") controller.abort();
        }
        const summary = await handle.result;
        assert.equal(summary.status, "cancelled");
        assert.equal(seen.at(-1), "run:summary");
        assert.equal((await handle.exit).code, 143);
        const before = new AbortController();
        before.abort();
        const never = orchestrator(root).exec("echo", ["never"], { signal: before.signal });
        await assert.rejects(never.result, sdk.AbortedBeforeStartError);
        assert.deepEqual(await never.exit, { code: null, signal: null });
      },
    },
    {
      name: "a missing binary is a typed error naming what was tried",
      async run() {
        const root = scratchDir();
        const missing = join(root, "nope", "codex-orchestrator");
        const handle = new Orchestrator({ binaryPath: missing, cwd: root }).exec("echo", ["hi"]);
        await assert.rejects(handle.result, (error) => {
          assert.ok(error instanceof sdk.BinaryNotFoundError);
          assert.ok(error.message.includes(missing), error.message);
          assert.match(error.message, /no such file/);
          return true;
        });
        await assert.rejects(drain(new Orchestrator({ binaryPath: missing }).exec("echo")), sdk.BinaryNotFoundError);
        const viaEnv = new Orchestrator({ env: { CODEX_ORCHESTRATOR_BIN: missing } });
        await assert.rejects(viaEnv.binary(), (error) => error.tried[0].startsWith(`CODEX_ORCHESTRATOR_BIN "${missing}"`));
        const compat = new ExecClient({ cliPath: missing }).run({ command: "echo" });
        const emitted = new Promise((resolve) => compat.on("error", resolve));
        await assert.rejects(compat.result, sdk.BinaryNotFoundError);
        assert.ok((await emitted) instanceof sdk.BinaryNotFoundError);
      },
    },
    {
      name: "garbage on stdout: non-JSON lines are warnings, partial lines and CRLF are reassembled",
      async run() {
        const dir = scratchDir();
        const begin = eventLine("exec:begin", 1, { attempt: 1 });
        const summary = eventLine("run:summary", 2, summaryPayload());
        // The summary line is split across two writes with a pause between, and ends with CRLF.
        const half = Math.floor(summary.length / 2);
        const bin = fakeBinary(
          dir,
          "fake-cli",
          [
            "echo 'this is not json'",
            "echo ''",
            `printf '%s\\r\\n' ${shQuote(begin)}`,
            `echo ${shQuote('{"hello":"world"}')}`,
            `printf '%s' ${shQuote(summary.slice(0, half))}`,
            "sleep 0.2",
            `printf '%s\\r\\n' ${shQuote(summary.slice(half))}`,
            "echo 'trailing garbage without newline' | tr -d '\\n'",
          ].join("\n"),
        );
        const warnings = [];
        const handle = new Orchestrator({ binaryPath: bin, cwd: dir }).exec("x", [], { onWarning: (e) => warnings.push(e.message) });
        const events = await drain(handle);
        assert.deepEqual(events.map((e) => e.type), ["exec:begin", "run:summary"]);
        assert.equal((await handle.result).status, "succeeded");
        assert.equal(warnings[0], "Failed to parse JSONL line: this is not json");
        assert.match(warnings[1], /^Not an event envelope/);
        assert.equal(warnings[2], "Failed to parse JSONL line: trailing garbage without newline");
        assert.equal(handle.warnings.length, 3);

        const compat = new ExecClient({ cliPath: bin, cwd: dir }).run({ command: "x" });
        const compatWarnings = [];
        compat.on("warning", (e) => compatWarnings.push(e.message));
        const result = await compat.result;
        await exitOf(compat);
        assert.equal(result.status, "succeeded");
        assert.equal(compatWarnings[0], "Failed to parse JSONL line: this is not json");
      },
    },
    {
      name: "an envelope of a newer major version is a typed error",
      async run() {
        const dir = scratchDir();
        const bin = printingBinary(dir, [eventLine("exec:begin", 1, { attempt: 1 }), eventLine("exec:begin", 2, { attempt: 1 }, 2), eventLine("run:summary", 3, summaryPayload())]);
        const handle = new Orchestrator({ binaryPath: bin, cwd: dir }).exec("x");
        const seen = [];
        await assert.rejects(
          (async () => {
            for await (const event of handle) seen.push(event.type);
          })(),
          (error) => {
            assert.ok(error instanceof sdk.EventVersionError);
            assert.equal(error.version, 2);
            assert.equal(error.supported, sdk.EVENT_SCHEMA_VERSION);
            assert.match(error.message, /Unsupported event envelope version 2/);
            return true;
          },
        );
        assert.deepEqual(seen, ["exec:begin"]);
        await assert.rejects(handle.result, sdk.EventVersionError);
        const compat = new ExecClient({ cliPath: bin, cwd: dir }).run({ command: "x" });
        await assert.rejects(compat.result, sdk.EventVersionError);
      },
    },
    {
      name: "a run that ends without a summary rejects with exit code, signal and stderr",
      async run() {
        const dir = scratchDir();
        const bin = printingBinary(dir, [eventLine("exec:begin", 1, { attempt: 1 })], { code: 3, stderr: "boom: it broke" });
        const handle = new Orchestrator({ binaryPath: bin, cwd: dir }).exec("x");
        await assert.rejects(handle.result, (error) => {
          assert.ok(error instanceof sdk.RunWithoutSummaryError);
          assert.equal(error.exitCode, 3);
          assert.equal(error.signal, null);
          assert.equal(error.stderr, "boom: it broke\n");
          assert.equal(error.message, "codex-orchestrator exec exited with code 3 without a run:summary event: boom: it broke");
          return true;
        });
        const compat = new ExecClient({ cliPath: bin, cwd: dir }).run({ command: "x" });
        await assert.rejects(compat.result, (error) => {
          assert.equal(error.message, "Exec command exited without emitting a summary event.");
          assert.equal(error.exitCode, 3);
          assert.equal(error.signal, null);
          return true;
        });
        // The real binary rejecting its input (exit 2) is the same error, with the CLI's own message.
        const bad = orchestrator(scratchDir()).exec("echo", [], { task: "../bad" });
        await assert.rejects(bad.result, (error) => error.exitCode === 2 && /Invalid task ID "\.\.\/bad" from --task/.test(error.message));
      },
    },
    {
      name: "stdin closed by the CLI (EPIPE) is harmless",
      async run() {
        const dir = scratchDir();
        const summary = eventLine("run:summary", 1, summaryPayload());
        const bin = fakeBinary(dir, "fake-cli", `exec 0<&-\nsleep 0.1\nprintf '%s\\n' ${shQuote(summary)}`);
        assert.equal((await new Orchestrator({ binaryPath: bin, cwd: dir }).exec("x").result).status, "succeeded");
        assert.equal((await new ExecClient({ cliPath: bin, cwd: dir }).run({ command: "x" }).result).status, "succeeded");
      },
    },
    {
      name: "binary resolution: option, then CODEX_ORCHESTRATOR_BIN, then PATH",
      async run() {
        const dir = scratchDir();
        const summary = eventLine("run:summary", 1, summaryPayload());
        const onPath = fakeBinary(dir, "codex-orchestrator", `printf '%s\\n' ${shQuote(summary)}`);
        const viaEnv = fakeBinary(dir, "env-cli", "true");
        assert.equal(await new Orchestrator({ binaryPath: CLI }).binary(), CLI);
        assert.equal(await new Orchestrator({ env: { CODEX_ORCHESTRATOR_BIN: viaEnv } }).binary(), viaEnv);
        assert.equal(await new Orchestrator({ binaryPath: "codex-orchestrator", env: { PATH: dir } }).binary(), onPath);
        const version = await new Orchestrator({ binaryPath: CLI }).version();
        assert.match(version, /^\d+\.\d+\.\d+/);
      },
    },
    {
      name: "plan() returns the typed plan document",
      async run() {
        const root = scratchDir();
        writeFileSync(join(root, "codex.orchestrator.json"), JSON.stringify({ pipelines: [{ id: "p", title: "P", stages: [{ kind: "command", id: "a", title: "A", command: "true" }] }] }));
        const doc = await orchestrator(root).plan("p");
        assert.deepEqual(doc.pipeline, { id: "p", title: "P", description: null, source: "user" });
        assert.equal(doc.stages[0].command, "true");
        await assert.rejects(orchestrator(root).plan("nope"), (error) => error.message === "Pipeline 'nope' not found." && error.exitCode === 2);
      },
    },
    {
      name: "start() streams stage events and resume() finishes a failed pipeline run",
      needsStart: true,
      async run() {
        const root = scratchDir();
        const flag = join(root, "flag");
        const config = { pipelines: [{ id: "p", title: "P", stages: [
          { kind: "command", id: "a", title: "A", command: "echo a" },
          { kind: "command", id: "b", title: "B", command: `test -f ${shQuote(flag)}` },
        ] }] };
        writeFileSync(join(root, "codex.orchestrator.json"), JSON.stringify(config));
        const o = orchestrator(root);
        const handle = o.start("p");
        const types = (await drain(handle)).map((e) => e.type);
        assert.equal(types[0], "stage:begin");
        assert.equal(types.at(-1), "run:summary");
        assert.equal(types.filter((t) => t === "stage:end").length, 2);
        const summary = await handle.result;
        assert.equal(summary.status, "failed");
        assert.equal((await handle.exit).code, 1);
        writeFileSync(flag, "");
        const report = await o.resume(summary);
        assert.equal(report.status, "succeeded");
        assert.deepEqual(report.commands.map((c) => c.status), ["succeeded", "succeeded"]);
      },
    },
  ];
}
