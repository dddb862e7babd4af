#!/usr/bin/env bun
import { writeSync } from "node:fs";
import { CancelledError, ExitSignal, OrchestratorError, errorMessage } from "./core/errors.ts";
import { SANDBOX_HELPER_ENTRY } from "./core/sandbox-policy.ts";
import { VERSION } from "./core/version.ts";
import { renderCommandUsage } from "./cli/command-usage.ts";
import { renderHelp } from "./cli/help.ts";
import { findCommand, unknownCommandLine } from "./cli/registry.ts";

/**
 * Whether `process.stdout` was used. Its first use builds a Node stream (about 10 ms of module loading, measured), so
 * `--version` writes to the descriptor directly and exits without ever touching it.
 */
let stdoutUsed = false;
/** Whether a command module was loaded (and may have written through `stdoutStream`). */
let commandLoaded = false;

function stdout(): NodeJS.WriteStream {
  if (!stdoutUsed) {
    stdoutUsed = true;
    // A closed stdout (EPIPE) must not crash us.
    process.stdout.on("error", () => {});
  }
  return process.stdout;
}

/** A short text straight to file descriptor 1; a reader that went away is ignored. */
function writeStdoutSync(text: string): void {
  try {
    writeSync(1, text);
  } catch {
    // EPIPE: nobody reads the version.
  }
}

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
  // `help <command>` is that command's usage, like `<command> --help` (issue 22.9).
  const topic = rest[0];
  if (first === "help" && topic !== undefined && topic !== "help" && !topic.startsWith("-")) return commandHelp(topic);
  if (first === undefined || first === "help" || first === "--help" || first === "-h") {
    await writeOut(stdout(), await renderHelp());
    return 0;
  }
  if (first === "--version" || first === "-v") {
    writeStdoutSync(`${VERSION}\n`);
    return 0;
  }
  const entry = findCommand(first);
  if (entry === undefined) return unknownCommand(first);
  const def = await entry.load();
  commandLoaded = true;
  if (await wantsHelp(first, rest)) {
    await writeOut(stdout(), `${await renderCommandUsage(first, def)}\n`);
    return 0;
  }
  // Commands that write to process.stdout themselves get it guarded first; `exec` writes only through `stdoutStream`
  // (a descriptor writer), and never building process.stdout saves it start-up time.
  if (first !== "exec") stdout();
  await def.run?.({ rawArgs: rest, args: { _: rest }, cmd: def, data: undefined } as never);
  return 0;
}

/** One stderr line (with a suggestion when a command name is close), exit 2; no help dump (issue 22.9). */
async function unknownCommand(name: string): Promise<number> {
  await writeOut(process.stderr, `${unknownCommandLine(name)}\n`);
  return 2;
}

async function commandHelp(name: string): Promise<number> {
  const entry = findCommand(name);
  if (entry === undefined) return unknownCommand(name);
  const def = await entry.load();
  commandLoaded = true;
  await writeOut(stdout(), `${await renderCommandUsage(name, def)}\n`);
  return 0;
}

/** `<command> --help` / `-h` before any `--` (for exec: before the command word too). */
async function wantsHelp(command: string, args: string[]): Promise<boolean> {
  const end = args.indexOf("--");
  const head = end === -1 ? args : args.slice(0, end);
  if (!head.includes("--help") && !head.includes("-h")) return false;
  if (command !== "exec") return true;
  // `exec`: a --help after the command word is the command's (`exec ls --help`); an option's value is not that word
  // (`exec --sandbox read-only --help` is exec's help).
  const { execOptionValueFollows } = await import("./cli/exec-args.ts");
  for (let i = 0; i < head.length; i++) {
    const arg = head[i] as string;
    if (arg === "--help" || arg === "-h") return true;
    if (!arg.startsWith("-")) return false;
    if (arg.startsWith("--") && !arg.includes("=") && execOptionValueFollows(arg.slice(2), head[i + 1])) i++;
  }
  return false;
}

async function exitWith(code: number): Promise<void> {
  process.exitCode = code;
  // What a command printed through `stdoutStream` (a descriptor writer) may still be in flight.
  if (commandLoaded) await (await import("./cli/output-stream.ts")).stdoutStream.flush();
  // Flush stdout before exiting (only if it was ever used: looking at it would build it).
  if (!stdoutUsed || process.stdout.writableLength === 0) process.exit(code);
  process.stdout.once("drain", () => process.exit(code));
  setTimeout(() => process.exit(code), 2000).unref();
}

/**
 * The sandbox helper (issue 15) is this executable re-executed in place of a sandboxed command: dispatched before
 * anything else runs, so it loads only its own few modules on its way to `execve`.
 */
if (process.argv[2] === SANDBOX_HELPER_ENTRY) {
  import("./exec/sandbox-helper.ts").then((helper) => helper.runSandboxHelper(process.argv.slice(3)));
} else {
  runCli();
}

function runCli(): void {
  main(process.argv.slice(2)).then(
    (code) => exitWith(code),
    async (error: unknown) => {
      if (error instanceof ExitSignal) return exitWith(error.exitCode);
      if (error instanceof OrchestratorError) {
        if (error.message !== "" && !(error instanceof CancelledError)) {
          await writeOut(process.stderr, `${error.message}\n`);
        }
        if (error.stdoutAfter !== undefined) await writeOut(stdout(), error.stdoutAfter);
        return exitWith(error.exitCode);
      }
      await writeOut(process.stderr, `${errorMessage(error)}\n`);
      exitWith(1);
    },
  );
}
