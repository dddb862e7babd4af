import { expect, test } from "bun:test";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { isTerminal } from "../../src/platform/terminal.ts";
import { useTempDirs } from "../run/fixtures/temp.ts";

const tempDir = useTempDirs();
const MODULE = join(import.meta.dir, "../../src/platform/terminal.ts");
/** A process that reports on stderr, for fds 0, 1 and 2, whether each is a terminal. */
const PROBE = `const { isTerminal } = await import(${JSON.stringify(MODULE)}); const { writeSync } = await import("node:fs");
writeSync(2, JSON.stringify([isTerminal(0), isTerminal(1), isTerminal(2)]) + "\\n");`;

test("a regular file and a pipe are not terminals; an fd that is not open is not either", () => {
  const fd = openSync(join(tempDir(), "plain"), "w");
  try {
    expect(isTerminal(fd)).toBe(false);
  } finally {
    closeSync(fd);
  }
  expect(isTerminal(987)).toBe(false);
});

test("the descriptors of a process on a pseudo-terminal are terminals; on pipes they are not", async () => {
  let seen = "";
  const data = (_terminal: unknown, bytes: Uint8Array) => {
    seen += new TextDecoder().decode(bytes);
  };
  const onPty = Bun.spawn([process.execPath, "-e", PROBE], { terminal: { cols: 80, rows: 24, data } });
  expect(await onPty.exited).toBe(0);
  onPty.terminal?.close();
  expect(seen).toContain("[true,true,true]");

  const onPipes = Bun.spawn([process.execPath, "-e", PROBE], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  onPipes.stdin.end();
  const [code, err] = await Promise.all([onPipes.exited, new Response(onPipes.stderr).text()]);
  expect(code).toBe(0);
  expect(err.trim()).toBe("[false,false,false]");
});
