import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AttemptSpec } from "../../src/exec/attempt.ts";
import { MAX_CHUNK_BYTES, type OutputChunk } from "../../src/exec/chunker.ts";
import { startAttempt } from "../../src/exec/process-runner.ts";
import { groupExists, groupStates } from "../helpers/processes.ts";
import { waitFor } from "../helpers/wait.ts";

/** Real processes on a shared 2-core machine: far above the expected times, well below a hang. */
const TEST_TIMEOUT_MS = 20_000;

const dir = mkdtempSync(join(tmpdir(), "exec-pty-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
const tty = { cols: 100, rows: 30 };

function sh(script: string, extra: Partial<AttemptSpec> = {}): AttemptSpec {
  return { argv: ["/bin/sh", "-c", script], cwd: dir, env, tty, ...extra };
}

async function run(spec: AttemptSpec) {
  const chunks: OutputChunk[] = [];
  const attempt = startAttempt(spec, (c) => {
    chunks.push(c);
  });
  return { attempt, result: await attempt.result, chunks };
}

describe("startAttempt with tty", () => {
  test("runs on a real terminal; stdout and stderr are one stream reported as stdout", async () => {
    const { result, chunks } = await run(sh("tty; [ -t 1 ] && echo is-a-tty; [ -t 0 ] && echo stdin-tty; stty size; echo to-stderr >&2; exit 5"));
    expect(result.exitCode).toBe(5);
    expect(result.signal).toBeNull();
    const lines = result.stdout.split("\r\n");
    expect(lines[0]).toMatch(/^\/dev\/pts\/\d+$/);
    expect(lines.slice(1)).toEqual(["is-a-tty", "stdin-tty", "30 100", "to-stderr", ""]);
    expect(result.stderr).toBe("");
    expect(result.stderrBytes).toBe(0);
    expect(chunks.every((c) => c.stream === "stdout")).toBe(true);
    expect(chunks.reduce((n, c) => n + c.bytes, 0)).toBe(result.stdoutBytes);
    // The chunks carry the bytes themselves (issue 22.3: they were views of a released buffer, empty when used).
    expect(chunks.map((c) => c.data).join("")).toBe(result.stdout);
    expect(Buffer.concat(chunks.map((c) => c.raw)).toString()).toBe(result.stdout);
  }, TEST_TIMEOUT_MS);

  test("cwd and env apply; TERM defaults when absent", async () => {
    const { result } = await run(sh('pwd; echo "$FOO $TERM"', { env: { ...env, FOO: "bar" } }));
    expect(result.stdout).toBe(`${dir}\r\nbar xterm-256color\r\n`);
  }, TEST_TIMEOUT_MS);

  test("a signal death", async () => {
    const { result } = await run(sh("kill -9 $$"));
    expect(result.exitCode).toBeNull();
    expect(result.signal).toBe("SIGKILL");
  }, TEST_TIMEOUT_MS);

  test("spawn failures", async () => {
    const missing = await run({ argv: ["definitely-not-a-command-xyz"], cwd: dir, env, tty });
    expect(missing.result.spawnError).toEqual({ message: "command not found: definitely-not-a-command-xyz", exitCode: 127 });
    expect(missing.result.exitCode).toBe(127);
    expect(missing.attempt.pid).toBeNull();
    const noCwd = await run(sh("true", { cwd: join(dir, "nope") }));
    expect(noCwd.result.spawnError).toEqual({ message: `working directory not found: ${join(dir, "nope")}`, exitCode: 1 });
  }, TEST_TIMEOUT_MS);

  test("timeout sends SIGTERM to the group", async () => {
    const { result, attempt } = await run(sh("sleep 30 & sleep 30", { timeoutMs: 800 }));
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe("SIGTERM");
    expect(groupExists(attempt.pid as number)).toBe(false);
  }, TEST_TIMEOUT_MS);

  test("cancel(SIGINT) ends the whole group", async () => {
    let started: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      started = resolve;
    });
    // A non-interactive sh starts background jobs with SIGINT ignored: SIGKILL after the grace must end them.
    const attempt = startAttempt(sh("sleep 30 & echo go; exec sleep 30", { graceMs: 500 }), () => started());
    await ready;
    attempt.cancel("SIGINT");
    const result = await attempt.result;
    expect(result.cancelledBy).toBe("SIGINT");
    expect(result.signal).toBe("SIGINT");
    expect(groupExists(attempt.pid as number)).toBe(false);
  }, TEST_TIMEOUT_MS);

  test("a blocked consumer stops the producer (SIGSTOP) and loses nothing", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let seen = 0;
    let maxChunk = 0;
    const attempt = startAttempt(sh("head -c 6000000 /dev/zero | tr '\\0' a"), async (c) => {
      if (seen === 0) await gate;
      seen += c.bytes;
      maxChunk = Math.max(maxChunk, c.bytes);
    });
    if (process.platform === "linux") {
      // While the consumer holds, the group is stopped rather than buffered without bound.
      await waitFor(() => groupStates(attempt.pid as number).includes("T"));
    }
    release();
    const result = await attempt.result;
    expect(result.exitCode).toBe(0);
    expect(seen).toBe(6000000);
    expect(result.stdoutBytes).toBe(6000000);
    expect(maxChunk).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
  }, TEST_TIMEOUT_MS);
});
