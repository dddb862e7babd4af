#!/usr/bin/env node
// npm/npx/bunx entry point: finds the platform's standalone binary and hands over to it. On Unix it replaces this
// process (`process.execve`, Node ≥ 22.15 and Bun), so argv, exit code, signals and the terminal pass through
// untouched; elsewhere it spawns the binary and relays exit code and signals.
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { resolveBinary } from "./resolve-binary.js";

let binary;
try {
  binary = resolveBinary().path;
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

const args = process.argv.slice(2);

if (process.platform !== "win32" && typeof process.execve === "function") {
  try {
    process.execve(binary, [binary, ...args], process.env);
  } catch {
    // Fall through to spawning (e.g. a runtime that refuses execve).
  }
}

// A terminal's Ctrl-C reaches the whole foreground process group, the binary included, so forwarding SIGINT then would
// deliver it twice (a second signal makes the binary exit without finishing its bookkeeping). Only a SIGINT that cannot
// have come from our terminal (stdin not a TTY) is forwarded; SIGTERM and SIGHUP are sent to one process and forwarded.
// The handlers are in place before the binary starts, so a signal that arrives at once is not lost.
let child = null;
const relay = (signal) => {
  if (signal === "SIGINT" && process.stdin.isTTY) return;
  if (child !== null && child.exitCode === null && child.signalCode === null) child.kill(signal);
};
const signals = ["SIGINT", "SIGTERM", "SIGHUP"];
for (const signal of signals) process.on(signal, relay);

child = spawn(binary, args, { stdio: "inherit", windowsHide: false });

child.on("error", (error) => {
  process.stderr.write(`codex-orchestrator: cannot run ${binary}: ${error.message}\n`);
  process.exit(1);
});

child.on("exit", (code, signal) => {
  for (const s of signals) process.off(s, relay);
  if (signal !== null) {
    // Die of the same signal so our parent sees what the binary saw; 128+n if the signal does not kill us.
    process.kill(process.pid, signal);
    process.exit(128 + (constants.signals[signal] ?? 0));
  }
  process.exit(code ?? 1);
});
