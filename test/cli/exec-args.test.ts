import { expect, test } from "bun:test";
import { parseExecArgs } from "../../src/cli/exec-args.ts";

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
