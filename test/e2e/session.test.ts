import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { shutdownHost } from "../../src/exec/session-client.ts";
import { CLI, cliEnv, runCli, scratchDir } from "../helpers/cli.ts";
import { isAlive } from "../helpers/processes.ts";
import { waitFor } from "../helpers/wait.ts";

const W = scratchDir("co-session-");
const runs = join(W, ".runs");
const cli = (args: string[], timeoutMs = 30_000) => runCli(["session", ...args], { cwd: W, timeoutMs });

afterAll(async () => {
  await shutdownHost(runs).catch(() => {});
});

describe("session command (compiled binary)", () => {
  test("the shell is a real terminal", async () => {
    const r = await cli(["exec", "t", "tty; [ -t 1 ] && echo is-a-tty"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\/dev\/pts\/\d+\nis-a-tty\n$/);
  });

  test("cd and export persist between invocations; exit codes are exact", async () => {
    expect((await cli(["exec", "s1", "--", "cd /tmp && export FOO=bar"])).code).toBe(0);
    const r = await cli(["exec", "s1", 'pwd; echo "$FOO"']);
    expect(r.stdout).toBe("/tmp\nbar\n");
    for (const code of [0, 1, 2, 7]) {
      const x = await cli(["exec", "s1", `(exit ${code})`]);
      expect(x.code).toBe(code);
      expect(x.stderr).toBe("");
    }
  });

  test("start sets the size; stty size shows it", async () => {
    const started = await cli(["start", "sz", "--cols", "91", "--rows=27"]);
    expect(started.stdout).toMatch(/^Session sz started \(pid \d+\)\.\n$/);
    expect((await cli(["exec", "sz", "stty size"])).stdout).toBe("27 91\n");
    const again = await cli(["start", "sz", "--format", "json"]);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: false, session: { id: "sz", cols: 91, rows: 27 } });
  });

  test("a timeout Ctrl-Cs sleep 30 and the shell lives on", async () => {
    const pid = (await cli(["exec", "c", "echo $$"])).stdout;
    const r = await cli(["exec", "c", "--timeout", "0.5", "sleep 30"]);
    expect(r.code).toBe(130);
    expect(r.stderr).toBe("Command timed out after 0.5s in session c; it was interrupted.\n");
    expect((await cli(["exec", "c", "echo $$"])).stdout).toBe(pid);
  });

  test("a client that goes away interrupts its command, not the shell", async () => {
    const proc = Bun.spawn([CLI, "session", "exec", "gone", "echo started; sleep 30"], {
      cwd: W,
      env: cliEnv(),
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = proc.stdout.getReader();
    // The first line may arrive in more than one read.
    let seen = "";
    while (!seen.includes("\n")) {
      const { done, value } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    expect(seen).toBe("started\n");
    proc.kill("SIGKILL");
    await proc.exited;
    // The host sees the connection close and interrupts the command; until then the shell is busy.
    const r = await waitFor(async () => {
      const next = await cli(["exec", "gone", "echo next"]);
      return next.code === 0 ? next : null;
    });
    expect(r.stdout).toBe("next\n");
  });

  test("write feeds an interactive program and returns the recent output", async () => {
    const started = await cli(["exec", "i", "--detach", "--", 'read -r -p "name? " x; echo "hello $x"']);
    expect(started.code).toBe(0);
    expect(started.stdout).toBe("name? ");
    expect(started.stderr).toContain("Still running in session i");
    const busy = await cli(["exec", "i", "true"]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain("Session 'i' is busy running");
    const w = await cli(["write", "i", "world", "--enter"]);
    expect(w.code).toBe(0);
    expect(w.stdout).toBe("hello world\n");
  });

  test("list and kill", async () => {
    await cli(["exec", "lk", "cd /"]);
    const text = await cli(["list"]);
    expect(text.stdout.split("\n")[0]).toMatch(/^ID\s+PID\s+STATE\s+COMMANDS\s+LAST EXIT\s+CWD$/);
    expect(text.stdout).toMatch(/\nlk\s+\d+\s+idle\s+1\s+0\s+\/\n/);
    const json = JSON.parse((await cli(["list", "--format", "json"])).stdout);
    expect(json.find((s: { id: string }) => s.id === "lk")).toMatchObject({ task: "t1", cwd: "/", busy: false });
    const otherTask = await cli(["list", "--task", "t2"]);
    expect(otherTask.stdout).toBe("No live sessions.\n");
    expect((await cli(["kill", "lk"])).stdout).toBe("Session lk killed.\n");
    const again = await cli(["kill", "lk"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe("Unknown session: lk\n");
  });

  test("bad input is one line on stderr, exit 2", async () => {
    const cases: [string[], string][] = [
      [["bogus"], "Unknown session subcommand: bogus (expected start, list, exec, write or kill).\n"],
      [[], "session requires a subcommand: start, list, exec, write or kill.\n"],
      [["exec"], "session exec requires a session id.\n"],
      [["exec", "s1"], "session exec requires a command.\n"],
      [["exec", "bad id", "true"], `Invalid session ID "bad id" from the <id> argument of session exec: only letters, digits, '.', '_' and '-' are allowed.\n`],
      [["list", "--bogus"], "Unknown session option: --bogus\n"],
      [["exec", "s1", "--timeout", "-1", "true"], "Invalid value for --timeout: -1 (expected a positive number of seconds).\n"],
      [["exec", "s1", "echo", "extra"], "Unexpected argument: extra\n"],
      [["start", "x", "--cols", "0"], "Invalid value for --cols: 0 (expected a positive integer).\n"],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect([r.code, r.stderr]).toEqual([2, message]);
    }
  });

  test("a killed host: the next call says so on stderr and starts a fresh host", async () => {
    await cli(["exec", "h", "export KEEP=1"]);
    const { pid } = JSON.parse(readFileSync(join(runs, ".sessions/host.json"), "utf8"));
    process.kill(pid, "SIGKILL");
    await waitFor(() => !isAlive(pid));
    const r = await cli(["exec", "h", 'echo "[$KEEP]"']);
    expect(r.stderr).toBe(
      `[Codex-Orchestrator] Session host (pid ${pid}) is gone: it was killed or crashed, and its sessions were lost. Starting a fresh session host.\n`,
    );
    expect(r.stdout).toBe("[]\n");
    expect(r.code).toBe(0);
    const next = await cli(["exec", "h", "true"]);
    expect(next.stderr).toBe("");
  });
});
