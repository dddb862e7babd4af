import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, realpathSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  execInSession,
  killSession,
  listSessions,
  pingHost,
  shutdownHost,
  startSession,
  writeSession,
} from "../../src/exec/session-client.ts";
import { answers } from "../../src/exec/session-host.ts";
import { hostPaths } from "../../src/exec/session-paths.ts";
import { isAlive } from "../helpers/processes.ts";
import { waitFor } from "../helpers/wait.ts";

/** Each test gets its own runs root, hence its own host (started from source by the client). */
const roots: string[] = [];
function runsRoot(): string {
  const root = join(realpathSync(mkdtempSync(join(tmpdir(), "sess-host-"))), ".runs");
  roots.push(root);
  return root;
}
afterAll(async () => {
  await Promise.all(roots.map((r) => shutdownHost(r).catch(() => {})));
});

const cwd = realpathSync(tmpdir());
const quiet = { onNotice: () => {}, cwd };

describe("session host", () => {
  test("starts on demand with owner-only files; shell state persists across requests", async () => {
    const runs = runsRoot();
    const paths = hostPaths(runs);
    const first = await execInSession(runs, "s1", "cd / && export FOO=bar", quiet);
    expect(first).toMatchObject({ exitCode: 0, created: true });
    expect(statSync(paths.dir).mode & 0o777).toBe(0o700);
    expect(statSync(paths.socket).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(paths.state, "utf8"))).toMatchObject({ state: "running" });
    const chunks: Uint8Array[] = [];
    const second = await execInSession(runs, "s1", 'pwd; echo "$FOO"; tty; (exit 7)', { ...quiet, onData: (b) => chunks.push(b) });
    expect(second.created).toBe(false);
    expect(second.exitCode).toBe(7);
    expect(second.output).toMatch(/^\/\nbar\n\/dev\/pts\/\d+\n$/);
    expect(new TextDecoder().decode(Buffer.concat(chunks))).toBe(second.output);
    const list = await listSessions(runs, "0101", quiet);
    expect(list.map((s) => [s.id, s.commandCount, s.lastExitCode, s.cwd])).toEqual([["s1", 2, 7, "/"]]);
  }, 30_000);

  test("200 sequential commands in one session through the host", async () => {
    const runs = runsRoot();
    for (let i = 0; i < 200; i++) {
      const r = await execInSession(runs, "seq", `echo ${i}; (exit ${i % 4})`, quiet);
      expect([r.output, r.exitCode]).toEqual([`${i}\n`, i % 4]);
    }
    expect((await listSessions(runs, "0101", quiet))[0]?.commandCount).toBe(200);
  }, 60_000);

  test("4 sessions used at once", async () => {
    const runs = runsRoot();
    await pingHost(runs, quiet);
    const results = await Promise.all(
      [0, 1, 2, 3].map((i) => execInSession(runs, `p${i}`, `sleep 0.3; echo $$; (exit ${i})`, quiet)),
    );
    expect(results.map((r) => r.exitCode)).toEqual([0, 1, 2, 3]);
    expect(new Set(results.map((r) => r.output)).size).toBe(4);
    expect((await listSessions(runs, undefined, quiet)).length).toBe(4);
  }, 30_000);

  test("write feeds an interactive program started detached and returns its output", async () => {
    const runs = runsRoot();
    const started = await execInSession(runs, "i", 'read -r -p "name? " x; echo "hello $x"; read -r y; echo "bye $y"', {
      ...quiet,
      detach: true,
      waitMs: 300,
    });
    expect(started.running).toBe(true);
    expect(started.output).toBe("name? ");
    await expect(execInSession(runs, "i", "true", quiet)).rejects.toThrow("is busy running");
    const one = await writeSession(runs, "i", "world\r", quiet);
    expect(one.output).toBe("hello world\n");
    expect(one.busy).toBe(true);
    const two = await writeSession(runs, "i", "now\r", quiet);
    expect(two.output).toBe("bye now\n");
    expect(two.busy).toBe(false);
    expect(two.lastExitCode).toBe(0);
  }, 30_000);

  test("start, kill, unknown sessions", async () => {
    const runs = runsRoot();
    const a = await startSession(runs, "k", { ...quiet, cols: 90, rows: 20 });
    expect(a.created).toBe(true);
    expect((await execInSession(runs, "k", "stty size", quiet)).output).toBe("20 90\n");
    const again = await startSession(runs, "k", { ...quiet, cols: 100, rows: 30 });
    expect(again.created).toBe(false);
    expect((await execInSession(runs, "k", "stty size", quiet)).output).toBe("30 100\n");
    await killSession(runs, "k", quiet);
    await expect(killSession(runs, "k", quiet)).rejects.toMatchObject({ exitCode: 2, message: "Unknown session: k" });
    await expect(writeSession(runs, "nope", "x", quiet)).rejects.toMatchObject({ exitCode: 2 });
  }, 30_000);

  test("a killed host: the next call says so and starts a fresh host", async () => {
    const runs = runsRoot();
    await execInSession(runs, "s", "export KEEP=1", quiet);
    const pid = await pingHost(runs, quiet);
    process.kill(pid, "SIGKILL");
    await waitFor(async () => !(await answers(hostPaths(runs).socket)), 5_000);
    const notices: string[] = [];
    const r = await execInSession(runs, "s", 'echo "[$KEEP]"', { ...quiet, onNotice: (l) => notices.push(l) });
    expect(notices).toEqual([
      `Session host (pid ${pid}) is gone: it was killed or crashed, and its sessions were lost. Starting a fresh session host.`,
    ]);
    expect(r).toMatchObject({ output: "[]\n", created: true });
    expect(await pingHost(runs, quiet)).not.toBe(pid);
  }, 30_000);

  test("idle host exits, disposing its shells; the next call says so", async () => {
    const runs = runsRoot();
    const opts = { ...quiet, hostEnv: { ...process.env, CODEX_ORCHESTRATOR_SESSION_IDLE_MS: "400" } };
    const r = await execInSession(runs, "s", "echo $$", opts);
    const shellPid = Number(r.output.trim());
    const paths = hostPaths(runs);
    await waitFor(async () => !(await answers(paths.socket)), 10_000);
    // The host stops listening first, then disposes its shells, then records the exit: wait for the record.
    await waitFor(() => JSON.parse(readFileSync(paths.state, "utf8")).state !== "running", 10_000);
    expect(JSON.parse(readFileSync(paths.state, "utf8"))).toMatchObject({ state: "idle-exit" });
    expect(isAlive(shellPid)).toBe(false);
    const notices: string[] = [];
    await execInSession(runs, "s", "true", { ...opts, onNotice: (l) => notices.push(l) });
    expect(notices[0]).toContain("exited after being idle");
  }, 30_000);
});
