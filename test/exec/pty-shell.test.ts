import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PtyShell } from "../../src/exec/pty-shell.ts";
import { cmdline, descendants, isAlive, wchan } from "../helpers/processes.ts";
import { waitFor } from "../helpers/wait.ts";

let shell: PtyShell;
const dir = realpathSync(mkdtempSync(join(tmpdir(), "pty-shell-")));

beforeAll(async () => {
  shell = await PtyShell.start({ cwd: dir, cols: 100, rows: 30 });
});
afterAll(async () => {
  await shell.dispose();
});

describe("PtyShell on a real PTY", () => {
  test("the command sees a terminal", async () => {
    const r = await shell.run("tty; [ -t 0 ] && [ -t 1 ] && echo is-a-tty");
    expect(r.exitCode).toBe(0);
    expect(r.output).toMatch(/^\/dev\/(pts\/\d+|ttys\d+)\nis-a-tty\n$/);
  });

  test("resize shows in stty size", async () => {
    expect((await shell.run("stty size")).output).toBe("30 100\n");
    shell.resize(132, 43);
    expect((await shell.run("stty size")).output).toBe("43 132\n");
    expect(() => shell.resize(0, 10)).toThrow("Invalid terminal size");
  });

  test("cd, exported variables and functions persist between commands", async () => {
    expect((await shell.run("cd /usr && export GREETING='hi there' && f() { echo fn-$1; }")).exitCode).toBe(0);
    const r = await shell.run('pwd; echo "$GREETING"; f x');
    expect(r.output).toBe("/usr\nhi there\nfn-x\n");
  });

  test("exit codes are exact", async () => {
    expect((await shell.run("true")).exitCode).toBe(0);
    expect((await shell.run("false")).exitCode).toBe(1);
    expect((await shell.run("ls /definitely/not/here 2>/dev/null")).exitCode).toBe(2);
    expect((await shell.run("(exit 7)")).exitCode).toBe(7);
    expect((await shell.run("if then")).exitCode).toBe(2); // syntax error; the shell lives on
    expect((await shell.run("echo still here")).output).toBe("still here\n");
  });

  test("output is CRLF → LF, stderr merged, no trailing newline kept as is, no sentinel", async () => {
    const seen: Uint8Array[] = [];
    const r = await shell.run("echo out; echo err >&2; printf 'no newline'", { onData: (b) => seen.push(b.slice()) });
    expect(r.output).toBe("out\nerr\nno newline");
    const streamed = new TextDecoder().decode(Buffer.concat(seen));
    expect(streamed).toBe(r.output);
    expect(streamed).not.toContain("\x1e");
    expect(streamed).not.toContain("\r");
  });

  test("quoting: special characters, newlines, control characters and long commands", async () => {
    const weird = `a 'b' "c" $HOME \\ \`x\` !! \t end`;
    expect((await shell.run(`printf '%s' ${JSON.stringify("x").replace(/"/g, "'")}; cat <<'EOF'\n${weird}\nEOF`)).output).toBe(`x${weird}\n`);
    const long = "y".repeat(20_000);
    const r = await shell.run(`v=${long}; echo \${#v}`);
    expect(r.output).toBe("20000\n");
  });

  test("env overrides are exported with exact values", async () => {
    const value = "it's a \"value\" with $dollar, \\backslash,\nnewline and ünïcode";
    const r = await shell.run('printf "%s|%s" "$WEIRD" "$OTHER"', { env: { WEIRD: value, OTHER: "2" } });
    expect(r.output).toBe(`${value}|2`);
    expect((await shell.run('echo "$OTHER"')).output).toBe("2\n");
    expect(() => shell.run("true", { env: { "BAD-NAME": "x" } })).toThrow("Invalid environment variable name");
  });

  test("Ctrl-C stops sleep 30 and the shell lives on", async () => {
    const running = shell.run("sleep 30; echo not-reached");
    await waitFor(() => descendants(shell.pid).some((pid) => cmdline(pid) === "sleep 30"));
    shell.interrupt();
    const r = await running;
    expect(r.exitCode).toBe(130);
    expect(r.output).not.toContain("not-reached");
    expect(shell.alive).toBe(true);
    expect((await shell.run("echo alive")).output).toBe("alive\n");
  });

  test("a timeout interrupts the command", async () => {
    const r = await shell.run("sleep 30", { timeoutMs: 200 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBe(130);
    expect(shell.alive).toBe(true);
  });

  test("an interactive program reads what write() sends", async () => {
    const running = shell.run('read -r line; echo "got <$line>"');
    // The shell is waiting on the terminal for the line.
    await waitFor(() => /tty_read|wait_woken/.test(wchan(shell.pid) ?? ""));
    shell.write("hello world\r");
    const r = await running;
    expect(r.output).toBe("got <hello world>\n");
  });

  test("one command at a time", async () => {
    const running = shell.run("sleep 0.2");
    expect(() => shell.run("true")).toThrow("busy");
    expect((await running).exitCode).toBe(0);
  });

  test("200 sequential commands in one session", async () => {
    for (let i = 0; i < 200; i++) {
      const r = await shell.run(`echo $((${i} * 2)); (exit ${i % 3})`);
      expect(r.output).toBe(`${i * 2}\n`);
      expect(r.exitCode).toBe(i % 3);
    }
  });

  test("large output keeps head and tail within 1 MiB", async () => {
    const r = await shell.run("head -c 3000000 /dev/zero | tr '\\0' 'a'; echo; echo THE-END");
    expect(r.exitCode).toBe(0);
    expect(r.truncated).toBe(true);
    expect(r.outputBytes).toBe(3_000_000 + 1 + 8);
    expect(r.output.length).toBeLessThan(1024 * 1024 + 100);
    expect(r.output).toContain("bytes omitted]");
    expect(r.output.endsWith("\nTHE-END\n")).toBe(true);
  }, 30_000);
});

describe("PtyShell lifecycle", () => {
  test("exit in a command ends the shell and reports its status", async () => {
    const s = await PtyShell.start({ cwd: dir });
    const r = await s.run("exit 7");
    expect(r.exitCode).toBe(7);
    expect(r.shellExited).toBe(true);
    expect(s.alive).toBe(false);
    expect(() => s.run("true")).toThrow("has exited");
    await s.dispose();
  });

  test("a shell killed from outside is detected", async () => {
    const s = await PtyShell.start({ cwd: dir });
    const running = s.run("sleep 30");
    process.kill(s.pid, "SIGKILL");
    const r = await running;
    expect(r.shellExited).toBe(true);
    expect(r.exitCode).toBe(137);
    expect(await s.exited).toBe(137);
  });

  test("dispose ends the shell and its jobs", async () => {
    const s = await PtyShell.start({ cwd: dir });
    const r = await s.run("sleep 60 & echo $!");
    // Job control prints "[1] <pid>" before our echo.
    const jobPid = Number(r.output.trim().split("\n").at(-1));
    expect(jobPid).toBeGreaterThan(0);
    await s.dispose();
    expect(s.alive).toBe(false);
    await waitFor(() => !isAlive(jobPid), 5_000);
  });

  test("a command ignoring Ctrl-C past its timeout takes the shell down", async () => {
    const s = await PtyShell.start({ cwd: dir, interruptGraceMs: 300 });
    const r = await s.run("trap '' INT; sleep 30", { timeoutMs: 200 });
    expect(r.timedOut).toBe(true);
    expect(r.shellExited).toBe(true);
    expect(s.alive).toBe(false);
  });

  test("a missing working directory is a clear error", async () => {
    await expect(PtyShell.start({ cwd: join(dir, "nope") })).rejects.toThrow("working directory not found");
  });
});
