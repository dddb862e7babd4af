#!/usr/bin/env bun
import { CancelledError, ExitSignal, OrchestratorError, errorMessage } from "./core/errors.ts";
import { VERSION } from "./core/version.ts";
import { renderCommandUsage, renderHelp } from "./cli/help.ts";
import { findCommand } from "./cli/registry.ts";

/** Writes text to a stream and resolves once it is flushed (or the reader is gone). */
function writeOut(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (text === "") return resolve();
    try {
      stream.write(text, () => resolve());
    } catch {
      resolve();
    }
  });
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "help" || first === "--help" || first === "-h") {
    await writeOut(process.stdout, await renderHelp());
    return 0;
  }
  if (first === "--version" || first === "-v") {
    await writeOut(process.stdout, `${VERSION}\n`);
    return 0;
  }
  const entry = findCommand(first);
  if (entry === undefined) {
    await writeOut(process.stderr, `Unknown command: ${first}\n`);
    await writeOut(process.stdout, await renderHelp());
    return 2;
  }
  const def = await entry.load();
  if (wantsHelp(first, rest)) {
    await writeOut(process.stdout, `${await renderCommandUsage(first, def)}\n`);
    return 0;
  }
  await def.run?.({ rawArgs: rest, args: { _: rest }, cmd: def, data: undefined } as never);
  return 0;
}

/** `<command> --help` / `-h` before any `--` (for exec: before the command word too). */
function wantsHelp(command: string, args: string[]): boolean {
  for (const arg of args) {
    if (arg === "--") return false;
    if (arg === "--help" || arg === "-h") return true;
    if (command === "exec" && !arg.startsWith("-")) return false;
  }
  return false;
}

function exitWith(code: number): void {
  process.exitCode = code;
  // Flush stdout before exiting; a closed stdout (EPIPE) must not crash us.
  if (process.stdout.writableLength === 0) process.exit(code);
  process.stdout.once("drain", () => process.exit(code));
  setTimeout(() => process.exit(code), 2000).unref();
}

process.stdout.on("error", () => {});

main(process.argv.slice(2)).then(
  (code) => exitWith(code),
  async (error: unknown) => {
    if (error instanceof ExitSignal) return exitWith(error.exitCode);
    if (error instanceof OrchestratorError) {
      if (error.message !== "" && !(error instanceof CancelledError)) {
        await writeOut(process.stderr, `${error.message}\n`);
      }
      if (error.stdoutAfter !== undefined) await writeOut(process.stdout, error.stdoutAfter);
      return exitWith(error.exitCode);
    }
    await writeOut(process.stderr, `${errorMessage(error)}\n`);
    exitWith(1);
  },
);
