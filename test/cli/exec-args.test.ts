import { expect, test } from "bun:test";
import { parseExecArgs, resolveExecStdin } from "../../src/cli/exec-args.ts";

test("command words and options anywhere before --", () => {
  const a = parseExecArgs(["ls", "-la", "--jsonl", "--", "--all"]);
  expect(a.argv).toEqual(["ls", "-la", "--all"]);
  expect(a.mode).toBe("jsonl");
});

test("--json consumes only compact|pretty", () => {
  expect(parseExecArgs(["--json", "compact", "echo"]).jsonStyle).toBe("compact");
  expect(parseExecArgs(["--json=compact", "echo"]).jsonStyle).toBe("compact");
  expect(parseExecArgs(["--json", "echo", "compact"]).argv).toEqual(["echo", "compact"]);
  expect(() => parseExecArgs(["--json=x", "echo"])).toThrow("Invalid value for --json: x (expected compact or pretty).");
});

test("errors of SPEC §23 check 24", () => {
  expect(() => parseExecArgs([])).toThrow("exec requires a command to run.");
  expect(() => parseExecArgs(["--json", "--jsonl", "echo"])).toThrow("Cannot combine --jsonl with other output modes.");
  expect(() => parseExecArgs(["--jsonl", "--json", "echo"])).toThrow("Cannot combine --json with other output modes.");
  expect(() => parseExecArgs(["--notify"])).toThrow("--notify requires a target URI.");
  expect(() => parseExecArgs(["ls", "--all"])).toThrow("Unknown exec option: --all");
  expect(() => parseExecArgs(["--cwd", "--jsonl", "x"])).toThrow("--cwd requires a path.");
  expect(() => parseExecArgs(["--task=../x", "x"])).toThrow('Invalid task ID "../x" from --task');
  expect(() => parseExecArgs(["--timeout", "0", "x"])).toThrow("Invalid value for --timeout: 0");
});

test("notify lists are split, trimmed and collected", () => {
  const a = parseExecArgs(["--notify", "http://h/fail, http://h/ok,", "--notify=http://h/ok", "--", "echo"]);
  expect(a.notify).toEqual(["http://h/fail", "http://h/ok", "http://h/ok"]);
});

test("--stdin / --no-stdin (issue 22.10): default pass-through unless stdin is a terminal, never under a TTY", () => {
  expect(parseExecArgs(["cat"]).stdin).toBeNull();
  expect(parseExecArgs(["--stdin", "cat"]).stdin).toBe(true);
  expect(parseExecArgs(["--stdin=false", "cat"]).stdin).toBe(false);
  expect(parseExecArgs(["--no-stdin", "cat"]).stdin).toBe(false);
  expect(parseExecArgs(["--stdin", "--no-stdin", "cat"]).stdin).toBe(false);
  expect(parseExecArgs(["--", "cat", "--no-stdin"]).argv).toEqual(["cat", "--no-stdin"]);
  expect(() => parseExecArgs(["--no-stdin=1", "cat"])).toThrow("--no-stdin takes no value.");
  expect(() => parseExecArgs(["--stdin", "--tty", "cat"])).toThrow("Cannot combine --stdin with --tty");
  expect(() => parseExecArgs(["--session", "s", "--stdin", "cat"])).toThrow("Cannot combine --stdin with --session");
  expect(resolveExecStdin(parseExecArgs(["cat"]), false)).toBe(true);
  expect(resolveExecStdin(parseExecArgs(["cat"]), true)).toBe(false);
  expect(resolveExecStdin(parseExecArgs(["--stdin", "cat"]), true)).toBe(true);
  expect(resolveExecStdin(parseExecArgs(["--no-stdin", "cat"]), false)).toBe(false);
  expect(resolveExecStdin(parseExecArgs(["--tty", "cat"]), false)).toBe(false);
  expect(resolveExecStdin(parseExecArgs(["--no-stdin", "--tty", "cat"]), false)).toBe(false);
});
