import { ptr } from "bun:ffi";
import { closeSync, readSync, writeSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { SANDBOX_HELPER_PREFIX, type SandboxPolicy, decodeSandboxPolicy } from "../core/sandbox-policy.ts";
import { FIXED_RULE_PATHS, type OpenedPath, openRulePaths, probeLandlockAbi, probeLandlockSandbox } from "./landlock.ts";
import { type SyscallTable, errnoName, lastErrno, loadLibc, sys, syscallTable } from "./libc.ts";
import { HANDOFF_FD, HANDOFF_FLAG, decodeHandoff, encodeReady } from "./sandbox-handoff.ts";
import { restrictThisThread, sandboxedCommandEnv } from "./sandbox-restrict.ts";
import { type SeccompFilter, buildSeccompFilter } from "./seccomp.ts";

/**
 * The sandbox helper (issue 15): `codex-orchestrator __sandbox-exec <policy> -- <argv…>`, the executable re-executed
 * by the runner in place of the command. On its own (main) thread it sets no_new_privs, applies the Landlock ruleset
 * and the seccomp filter — both are per thread and survive `execve` — then becomes the command with `execve`: same
 * pid, same process group, same terminal, so the runner's kill of the group and its PTY work unchanged. It runs
 * nothing unless every restriction is in place: any failure is one stderr line and exit 1.
 */

const SIG_SETMASK = 2;
const SIG_IGN = 1n;
const EPERM = 1;
const ENOENT = 2;
const ENOEXEC = 8;
const EACCES = 13;
const ENOTDIR = 20;
const EISDIR = 21;

function fail(message: string, code = 1): never {
  try {
    writeSync(2, `${SANDBOX_HELPER_PREFIX}${message}\n`);
  } catch {
    // Nobody reads stderr: the exit code still says it.
  }
  process.exit(code);
}

/**
 * Runs the helper with the arguments after the entry word. Never returns. `--handoff`: started ahead of its command
 * (`sandbox-prespawn.ts`), it gets ready, then waits for the command on descriptor 3.
 */
export function runSandboxHelper(args: readonly string[]): never {
  if (args[0] === HANDOFF_FLAG && args.length === 1) return runHandedOff();
  return runCommand(args, processEnv());
}

/** What the helper set up before its command was known. */
type Prepared = {
  table: SyscallTable;
  abi: number;
  /** The policy-independent Landlock rules' paths, opened. */
  opened: Map<string, OpenedPath>;
  /** The seccomp filter for each network setting, laid out. */
  filters: { networkOn: SeccompFilter; networkOff: SeccompFilter };
  signalsReset: boolean;
};

/**
 * Everything that does not depend on the command is done before the wait (the architecture, the Landlock probe, libc
 * and its trampolines, the fixed rules' paths, both seccomp filters, the signal dispositions), so that what is left
 * once the command arrives is the restriction itself and `execve` (measured under load: from the handoff to `execve`
 * a median of ~6 ms before, ~1.5 ms after; docs/benchmarks.md).
 */
function runHandedOff(): never {
  const table = syscallTable();
  if (table === null) {
    report({ abi: 0, reason: `no sandbox for ${process.arch}` });
    fail(`no sandbox for ${process.arch}; nothing was run`);
  }
  const probe = probeLandlockSandbox();
  report(probe);
  const { abi, reason } = probe;
  if (abi < 1) fail(`${reason}; nothing was run`);
  let prepared: Prepared;
  try {
    loadLibc();
    resetSignals(table);
    prepared = {
      table,
      abi,
      opened: openRulePaths(FIXED_RULE_PATHS),
      filters: { networkOn: buildSeccompFilter(table, true), networkOff: buildSeccompFilter(table, false) },
      signalsReset: true,
    };
  } catch (error) {
    fail(`${(error as Error).message}; nothing was run`);
  }
  const text = readHandoff();
  // End-of-file before any byte: the orchestrator decided not to run the command (or is gone). Nothing was run.
  if (text === "") process.exit(0);
  const handoff = decodeHandoff(text);
  if (typeof handoff === "string") fail(`${handoff}; nothing was run`, 2);
  try {
    process.chdir(handoff.cwd);
  } catch (error) {
    fail(`cannot enter ${handoff.cwd} (${(error as NodeJS.ErrnoException).code ?? "error"}); nothing was run`);
  }
  runCommand(handoff.args, handoff.env, prepared);
}

/** The probe, to the orchestrator on descriptor 3 (sandbox-handoff.ts); one that no longer listens is ignored. */
function report(probe: { abi: number; reason: string | null }): void {
  try {
    writeSync(HANDOFF_FD, encodeReady(probe));
  } catch {
    // Gone (it then closed descriptor 3, and the read below ends the helper) or never a reader: nothing to tell.
  }
}

/** Descriptor 3 to its end, then closed (the command must not inherit it). */
function readHandoff(): string {
  const parts: Buffer[] = [];
  const buffer = Buffer.alloc(64 * 1024);
  try {
    for (;;) {
      const n = readSync(HANDOFF_FD, buffer, 0, buffer.length, null);
      if (n === 0) break;
      parts.push(Buffer.from(buffer.subarray(0, n)));
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ECONNRESET") fail(`cannot read the handoff (${(error as Error).message}); nothing was run`);
  } finally {
    try {
      closeSync(HANDOFF_FD);
    } catch {
      // Already closed: nothing to inherit.
    }
  }
  return Buffer.concat(parts).toString("utf8");
}

function processEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return env;
}

/** `<policy> -- <argv…>`: restricts this thread and becomes the command, with `env` as its environment. */
function runCommand(args: readonly string[], env: Record<string, string>, ready?: Prepared): never {
  const [encoded, separator, ...argv] = args;
  if (encoded === undefined || separator !== "--" || argv.length === 0) fail("usage: __sandbox-exec <policy> -- <command…>", 2);
  const policy = decodeSandboxPolicy(encoded);
  if (typeof policy === "string") fail(`${policy}; nothing was run`, 2);
  const table = ready?.table ?? syscallTable();
  if (table === null) fail(`no sandbox for ${process.arch}; nothing was run`);
  let abi = ready?.abi ?? 0;
  if (ready === undefined) {
    const probe = probeLandlockAbi();
    if (probe.abi < 1) fail(`${probe.reason}; nothing was run`);
    abi = probe.abi;
  }
  try {
    restrictThisThread(table, abi, policy, ready ?? {});
  } catch (error) {
    fail(`${(error as Error).message}; nothing was run`);
  }
  execCommand(table, argv, policy, env, ready?.signalsReset === true);
}

/** Like execvp: the first PATH candidate that executes wins; the command's env is this process's plus the markers. */
function execCommand(table: SyscallTable, argv: readonly string[], policy: SandboxPolicy, commandEnv: Record<string, string>, signalsReset: boolean): never {
  const env = sandboxedCommandEnv(policy, commandEnv);
  const keep: Uint8Array[] = [];
  const cstrings = (list: readonly string[]): BigUint64Array => {
    const out = new BigUint64Array(list.length + 1);
    list.forEach((s, i) => {
      const bytes = Buffer.from(`${s}\0`, "utf8");
      keep.push(bytes);
      out[i] = BigInt(ptr(bytes));
    });
    return out;
  };
  const argvPtrs = cstrings(argv);
  const envPtrs = cstrings(Object.entries(env).map(([k, v]) => `${k}=${v}`));
  if (!signalsReset) resetSignals(table);
  const program = argv[0] as string;
  let firstError = 0;
  for (const candidate of candidates(program, env.PATH ?? "")) {
    const path = Buffer.from(`${candidate}\0`, "utf8");
    sys(table.execve, ptr(path), ptr(argvPtrs), ptr(envPtrs));
    const errno = lastErrno();
    // ENOENT/ENOTDIR: try the next PATH entry; EACCES is remembered but the search goes on, as execvp does.
    if (firstError === 0 || firstError === ENOENT || firstError === ENOTDIR) firstError = errno;
    if (errno !== ENOENT && errno !== ENOTDIR && errno !== EACCES) break;
  }
  // The texts and codes of the runner's own spawn errors (src/exec/spawn-error.ts), which the stage reports the same.
  if (firstError === 0 || firstError === ENOENT || firstError === ENOTDIR) fail(`command not found: ${program}`, 127);
  if (firstError === EACCES || firstError === EPERM || firstError === EISDIR) fail(`permission denied: ${program}`, 126);
  if (firstError === ENOEXEC) fail(`exec format error: ${program}`, 126);
  fail(`cannot execute ${program} (${errnoName(firstError)})`, 126);
}

function candidates(program: string, pathVariable: string): string[] {
  if (program.includes("/")) return [isAbsolute(program) ? program : resolve(program)];
  return pathVariable
    .split(delimiter)
    .filter((dir) => dir !== "")
    .map((dir) => join(resolve(dir), program));
}

/**
 * Ignored signals and the signal mask survive `execve`; the runtime's choices (it ignores SIGPIPE, for one) must not
 * become the command's. Only ignored signals are reset: handlers go with `execve` anyway, and the runtime's threads
 * may still signal each other until then.
 */
function resetSignals(table: SyscallTable): void {
  // The kernel's struct sigaction starts with the handler; zeroed, it is SIG_DFL with no flags and an empty mask.
  const old = new BigUint64Array(4);
  const dfl = new BigUint64Array(4);
  for (let sig = 1; sig <= 64; sig++) {
    if (sig === 9 || sig === 19) continue;
    if (sys(table.rtSigaction, sig, 0, ptr(old), 8) === 0 && old[0] === SIG_IGN) sys(table.rtSigaction, sig, ptr(dfl), 0, 8);
  }
  sys(table.rtSigprocmask, SIG_SETMASK, ptr(new BigUint64Array(1)), 0, 8);
}
