import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AttemptSpec } from "../../src/exec/attempt.ts";
import { MAX_CHUNK_BYTES, type OutputChunk } from "../../src/exec/chunker.ts";
import { startAttempt } from "../../src/exec/process-runner.ts";
import { TAIL_BYTES } from "../../src/exec/tail-buffer.ts";
import { blockedWriting, cmdline, descendants, groupExists, isAlive } from "../helpers/processes.ts";
import { waitFor } from "../helpers/wait.ts";

/** Real processes on a shared 2-core machine: far above the expected times, well below a hang. */
const TEST_TIMEOUT_MS = 20_000;

const dir = mkdtempSync(join(tmpdir(), "exec-runner-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };

function sh(script: string, extra: Partial<AttemptSpec> = {}): AttemptSpec {
  return { argv: ["/bin/sh", "-c", script], cwd: dir, env, ...extra };
}

async function run(spec: AttemptSpec) {
  const chunks: OutputChunk[] = [];
  const attempt = startAttempt(spec, (c) => {
    chunks.push(c);
  });
  const result = await attempt.result;
  return { attempt, result, chunks };
}

describe("startAttempt with pipes", () => {
  test("100 000 bytes of stdout and 70 000 of stderr: chunk sizes, byte totals, 64 KiB tails", async () => {
    const { result, chunks } = await run(sh("head -c 100000 /dev/zero | tr '\\0' o; head -c 70000 /dev/zero | tr '\\0' e >&2"));
    expect(result.exitCode).toBe(0);
    expect(chunks.every((c) => c.bytes > 0 && c.bytes <= MAX_CHUNK_BYTES && c.raw.byteLength === c.bytes)).toBe(true);
    const sum = (stream: string) => chunks.filter((c) => c.stream === stream).reduce((n, c) => n + c.bytes, 0);
    expect(sum("stdout")).toBe(100000);
    expect(sum("stderr")).toBe(70000);
    expect(result.stdoutBytes).toBe(100000);
    expect(result.stderrBytes).toBe(70000);
    expect(result.stdout).toBe("o".repeat(TAIL_BYTES));
    expect(result.stderr).toBe("e".repeat(TAIL_BYTES));
  }, TEST_TIMEOUT_MS);

  test("exit codes pass through", async () => {
    for (const code of [0, 1, 7]) {
      const { result } = await run(sh(`echo out; echo err >&2; exit ${code}`));
      expect(result).toMatchObject({ exitCode: code, signal: null, stdout: "out\n", stderr: "err\n", spawnError: null });
      expect(result.timedOut).toBe(false);
      expect(result.cancelledBy).toBeNull();
    }
  }, TEST_TIMEOUT_MS);

  test("a signal death reports the signal name and a null exit code", async () => {
    const { result } = await run(sh("kill -9 $$"));
    expect(result.exitCode).toBeNull();
    expect(result.signal).toBe("SIGKILL");
  }, TEST_TIMEOUT_MS);

  test("cwd, env, stdin /dev/null and an own process group", async () => {
    const { attempt, result } = await run(
      sh('pwd; echo "$FOO"; cat; [ -t 0 ] || echo no-tty; ps -o pgid= -p $$ | tr -d " "', { env: { ...env, FOO: "bar" } }),
    );
    expect(result.stdout).toBe(`${dir}\nbar\nno-tty\n${attempt.pid}\n`);
  }, TEST_TIMEOUT_MS);

  test("the program is looked up on the PATH of spec.env", async () => {
    const bin = join(dir, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "my-tool"), "#!/bin/sh\necho from-my-tool\n");
    chmodSync(join(bin, "my-tool"), 0o755);
    const { result } = await run({ argv: ["my-tool"], cwd: dir, env: { PATH: `${bin}:${env.PATH}` } });
    expect(result.stdout).toBe("from-my-tool\n");
  }, TEST_TIMEOUT_MS);

  test("spawn failures are classified, never thrown", async () => {
    writeFileSync(join(dir, "not-exec"), "echo hi\n");
    chmodSync(join(dir, "not-exec"), 0o644);
    const cases: [AttemptSpec, number, string][] = [
      [{ argv: ["definitely-not-a-command-xyz"], cwd: dir, env }, 127, "command not found: definitely-not-a-command-xyz"],
      [{ argv: ["./not-exec"], cwd: dir, env }, 126, "permission denied: ./not-exec"],
      [{ argv: ["true"], cwd: join(dir, "missing"), env }, 1, `working directory not found: ${join(dir, "missing")}`],
    ];
    for (const [spec, exitCode, message] of cases) {
      const { attempt, result, chunks } = await run(spec);
      expect(attempt.pid).toBeNull();
      expect(result.spawnError).toEqual({ message, exitCode: exitCode as 127 });
      expect(result.exitCode).toBe(exitCode);
      expect(result.signal).toBeNull();
      expect(chunks).toEqual([]);
      attempt.cancel("SIGTERM"); // a no-op, not a throw
    }
  }, TEST_TIMEOUT_MS);

  test("timeout: SIGTERM to the group, timedOut set", async () => {
    const { result } = await run(sh("sleep 30", { timeoutMs: 1000 }));
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe("SIGTERM");
    expect(result.exitCode).toBeNull();
  }, TEST_TIMEOUT_MS);

  test("timeout: a command that ends before it is not timed out", async () => {
    // It waits for a file the test writes, so it ends by an event, well inside its timeout.
    const go = join(dir, "timeout-go");
    const attempt = startAttempt(sh(`echo waiting; while [ ! -e ${go} ]; do sleep 0.02; done`, { timeoutMs: 15_000 }), () => {});
    writeFileSync(go, "");
    const result = await attempt.result;
    expect(result).toMatchObject({ exitCode: 0, signal: null, timedOut: false });
  }, TEST_TIMEOUT_MS);

  test("timeout: a group ignoring SIGTERM is killed after the grace period", async () => {
    const { result, attempt } = await run(sh("trap '' TERM; sleep 30", { timeoutMs: 300, graceMs: 300 }));
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe("SIGKILL");
    expect(groupExists(attempt.pid as number)).toBe(false);
  }, TEST_TIMEOUT_MS);

  test("cancel(SIGTERM) ends the whole group, descendants included", async () => {
    let firstChunk: (c: OutputChunk) => void = () => {};
    const started = new Promise<OutputChunk>((resolve) => {
      firstChunk = resolve;
    });
    const attempt = startAttempt(sh("sleep 30 & echo $!; sleep 30"), (c) => firstChunk(c));
    const background = Number((await started).data.trim());
    expect(isAlive(background)).toBe(true);
    attempt.cancel("SIGTERM");
    const result = await attempt.result;
    expect(result.cancelledBy).toBe("SIGTERM");
    expect(result.signal).toBe("SIGTERM");
    expect(isAlive(background)).toBe(false);
    expect(groupExists(attempt.pid as number)).toBe(false);
  }, TEST_TIMEOUT_MS);

  test("a descendant holding the pipes: output right after the exit is kept, the attempt ends without it, later output is dropped", async () => {
    // The descendant prints once the shell has exited (within the drain window after the exit), then waits for the
    // test's go-ahead to print again, holding the pipes open meanwhile (at most ~20 s, should the test fail first).
    const go = join(dir, "drain-go");
    const chunks: OutputChunk[] = [];
    const attempt = startAttempt(
      sh(`echo first; (while kill -0 $$ 2>/dev/null; do sleep 0.01; done; echo after-exit; n=0; while [ ! -e ${go} ] && [ $n -lt 1000 ]; do sleep 0.02; n=$((n + 1)); done; echo late) & echo $!`),
      (c) => {
        chunks.push(c);
      },
    );
    const result = await attempt.result;
    const text = () => chunks.map((c) => c.data).join("");
    const descendant = Number(text().split("\n")[1]);
    expect(result.exitCode).toBe(0);
    // The attempt ended while the descendant still held the pipes: it did not wait for them to close.
    expect(isAlive(descendant)).toBe(true);
    expect(text()).toBe(`first\n${descendant}\nafter-exit\n`);
    writeFileSync(go, "");
    // Its last write finds the pipe closed; once it is gone nothing more can arrive.
    await waitFor(() => !isAlive(descendant));
    expect(text()).toBe(`first\n${descendant}\nafter-exit\n`);
    expect(result.stdout).toBe(`first\n${descendant}\nafter-exit\n`);
  }, TEST_TIMEOUT_MS);

  test("back-pressure: an awaiting consumer holds the writer", async () => {
    const marker = join(dir, "bp-marker");
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    const attempt = startAttempt(sh(`head -c 5000000 /dev/zero; touch ${marker}`), async () => {
      calls += 1;
      if (calls === 1) await gate;
    });
    // 5 MB cannot fit in the pipe (a socket pair under Bun): while the first chunk is unconsumed the writer ends up
    // asleep on it, full (without back-pressure it would write everything and the marker would appear instead).
    const outcome = await waitFor(() => {
      if (existsSync(marker)) return "writer finished";
      const writer = descendants(attempt.pid as number).find((p) => cmdline(p)?.startsWith("head -c"));
      return writer !== undefined && blockedWriting(writer) ? "writer blocked" : null;
    });
    expect(outcome).toBe("writer blocked");
    expect(existsSync(marker)).toBe(false);
    expect(calls).toBe(1);
    release();
    const result = await attempt.result;
    expect(result.stdoutBytes).toBe(5000000);
    expect(existsSync(marker)).toBe(true);
  }, TEST_TIMEOUT_MS);

  test("50 MB through a consumer that awaits every chunk", async () => {
    let seen = 0;
    let maxChunk = 0;
    const attempt = startAttempt(sh("head -c 52428800 /dev/zero"), async (c) => {
      seen += c.bytes;
      maxChunk = Math.max(maxChunk, c.bytes);
      await Promise.resolve();
    });
    const result = await attempt.result;
    expect(result.exitCode).toBe(0);
    expect(seen).toBe(52428800);
    expect(result.stdoutBytes).toBe(52428800);
    expect(maxChunk).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
    expect(result.stdout.length).toBe(TAIL_BYTES);
  }, TEST_TIMEOUT_MS);

  test("a throwing consumer does not stop the drain", async () => {
    const attempt = startAttempt(sh("head -c 300000 /dev/zero"), () => {
      throw new Error("sink closed");
    });
    const result = await attempt.result;
    expect(result.exitCode).toBe(0);
    expect(result.stdoutBytes).toBe(300000);
  }, TEST_TIMEOUT_MS);

  test("cancel after the end is a no-op", async () => {
    const { attempt, result } = await run(sh("exit 0"));
    attempt.cancel("SIGINT");
    expect(result.cancelledBy).toBeNull();
    expect((await attempt.result).cancelledBy).toBeNull();
  }, TEST_TIMEOUT_MS);
});
