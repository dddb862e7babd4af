import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "../helpers/cli.ts";

/**
 * A directory holding an executable `codex` shell script: `codex --help` prints `help`; any other call appends its
 * argv (one argument per line, then `--`) to `<dir>/argv.log` and exits `exitCode`.
 */
export function fakeCodexDir(help: string, exitCode = 0): { dir: string; argvLog: string } {
  const dir = join(scratchDir("co-codex-"), "bin");
  mkdirSync(dir);
  const argvLog = join(dir, "argv.log");
  const script = [
    "#!/bin/sh",
    'if [ "$1" = "--help" ]; then',
    `  printf '%s\\n' '${help.replaceAll("'", "'\\''")}'`,
    "  exit 0",
    "fi",
    `for a in "$@"; do printf '%s\\n' "$a" >> '${argvLog}'; done`,
    `printf -- '--\\n' >> '${argvLog}'`,
    `exit ${exitCode}`,
  ].join("\n");
  writeFileSync(join(dir, "codex"), `${script}\n`);
  chmodSync(join(dir, "codex"), 0o755);
  return { dir, argvLog };
}

export const CODEX_HELP_WITH_REVIEW = "Usage: codex [OPTIONS]\n\nCommands:\n  exec    Run non-interactively\n  review  Review changes";
export const CODEX_HELP_WITHOUT_REVIEW = "Usage: codex [OPTIONS]\n\nCommands:\n  exec    Run non-interactively\n  login   Sign in (no code-review command here)";
