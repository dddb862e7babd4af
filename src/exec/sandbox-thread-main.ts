import { ptr } from "bun:ffi";
import { decodeSandboxPolicy, encodeSandboxPolicy } from "../core/sandbox-policy.ts";
import { FIXED_RULE_PATHS, type OpenedPath, landlockPlan, openRulePaths, probeLandlockSandbox, threadRestrictionSafe } from "./landlock.ts";
import { type SyscallTable, closeFd, errnoName, lastErrno, loadLibc, sys, syscallTable } from "./libc.ts";
import { type RestrictPrepared, restrictThisThread, sandboxedCommandEnv } from "./sandbox-restrict.ts";
import {
  CTL,
  READY,
  RESULT,
  STATE,
  THREAD_CRASH_TEST_ENV,
  THREAD_SETUP_FAILURE_TEST_ENV,
  type ThreadInit,
  type ThreadMessage,
  type ThreadRequest,
  type ThreadSpawn,
} from "./sandbox-thread-protocol.ts";
import { buildSeccompFilter } from "./seccomp.ts";

/**
 * The sandbox thread (issue 15/21): a worker thread of the orchestrator that restricts itself to one sandbox policy —
 * no_new_privs, Landlock, seccomp, all per thread — and then spawns the sandboxed commands, which inherit all three
 * from the thread that forks them. The orchestrator's own threads stay unrestricted. The commands are the
 * orchestrator's children with pipes it reads itself (the pipes are made here and only their numbers travel: the
 * process shares its descriptors), so a sandboxed attempt costs what an unsandboxed one does instead of a second start
 * of the executable (the helper, sandbox-helper.ts, which attempts on a terminal still use).
 *
 * Before its first command the thread is unrestricted and only prepares (probe, libc, the fixed rules' paths, the
 * filters); the first request restricts it for good, and it then takes only requests for that same policy.
 */

declare const self: Worker;

const O_CLOEXEC = 0o2000000;

let control: Int32Array | null = null;
let table: SyscallTable | null = null;
let abi = 0;
let prepared: RestrictPrepared = {};
/** The policy this thread is restricted to, once it is. */
let restrictedTo: string | null = null;
/** The thread failed to restrict itself: it refuses everything (the orchestrator discards it). */
let poisoned = false;
let forcedFailure = false;
let forcedCrash = false;

self.onmessage = (event: MessageEvent<ThreadRequest>) => {
  const request = event.data;
  if (request.kind === "init") init(request);
  else if (request.kind === "spawn") spawn(request);
};

function post(message: ThreadMessage): void {
  self.postMessage(message);
}

function init(request: ThreadInit): void {
  const ctl = new Int32Array(request.control);
  control = ctl;
  forcedFailure = request.env[THREAD_SETUP_FAILURE_TEST_ENV] === "1";
  forcedCrash = request.env[THREAD_CRASH_TEST_ENV] === "1";
  let usable = false;
  try {
    const probe = probeLandlockSandbox(request.env);
    table = syscallTable();
    if (probe.abi >= 1 && table !== null && threadRestrictionSafe(probe.abi)) {
      loadLibc();
      abi = probe.abi;
      const opened: Map<string, OpenedPath> = openRulePaths(FIXED_RULE_PATHS);
      prepared = { opened, filters: { networkOn: buildSeccompFilter(table, true), networkOff: buildSeccompFilter(table, false) } };
      warmUp();
      usable = true;
    }
    Atomics.store(ctl, CTL.ABI, probe.abi);
  } catch (error) {
    post({ kind: "failed", message: (error as Error).message });
  }
  Atomics.store(ctl, CTL.READY, usable ? READY.READY : READY.UNUSABLE);
  Atomics.notify(ctl, CTL.READY);
}

/**
 * The first run of any code in a fresh runtime is its slowest (bytecode linked, interpreted, inline caches cold): the
 * request's own path — decoding a policy, planning a ruleset, the command's environment — is run once on a sample
 * while the thread has nothing else to do, and the next request's pipes are made ahead.
 */
function warmUp(): void {
  const sample = decodeSandboxPolicy(encodeSandboxPolicy({ mode: "workspace-write", writableRoots: ["/tmp"], networkAllowed: false }));
  if (typeof sample !== "string") {
    landlockPlan({ abi, writableRoots: sample.writableRoots, networkAllowed: sample.networkAllowed });
    sandboxedCommandEnv(sample, { PATH: "/usr/bin" });
  }
  refillPipes();
}

/** Pipes for the next command, made while nothing waits for them. */
let nextPipes: { out: [number, number]; err: [number, number] } | null = null;

function refillPipes(): void {
  if (nextPipes !== null) return;
  const made = makePipes();
  // A failure here is met again, and reported, by the request that needs them.
  if (typeof made !== "string") nextPipes = made;
}

/** The command's stdout and stderr pipes, or why they could not be made. */
function makePipes(): { out: [number, number]; err: [number, number] } | string {
  let out: [number, number];
  try {
    out = pipe();
  } catch (error) {
    return (error as Error).message;
  }
  try {
    return { out, err: pipe() };
  } catch (error) {
    closeAll(out);
    return (error as Error).message;
  }
}

function spawn(request: ThreadSpawn): void {
  const ctl = control;
  if (ctl === null) return;
  // The orchestrator may have given up on this request (it then runs the attempt another way): never run it late.
  if (Atomics.compareExchange(ctl, CTL.STATE, STATE.REQUESTED, STATE.CLAIMED) !== STATE.REQUESTED) return;
  const result = run(ctl, request);
  Atomics.store(ctl, CTL.RESULT, result);
  Atomics.store(ctl, CTL.STATE, STATE.DONE);
  Atomics.notify(ctl, CTL.STATE);
  if (!poisoned && result !== RESULT.SETUP_FAILED) refillPipes();
  if (forcedCrash && result === RESULT.SPAWNED) {
    setTimeout(() => {
      throw new Error(`the sandbox thread dies (${THREAD_CRASH_TEST_ENV}=1)`);
    }, 50);
  }
}

function run(ctl: Int32Array, request: ThreadSpawn): number {
  if (poisoned || table === null || Atomics.load(ctl, CTL.READY) !== READY.READY) return RESULT.SETUP_FAILED;
  const policy = decodeSandboxPolicy(request.policy);
  if (typeof policy === "string") {
    post({ kind: "failed", message: policy });
    return RESULT.SETUP_FAILED;
  }
  if (restrictedTo === null) {
    try {
      if (forcedFailure) throw new Error(`restriction refused (${THREAD_SETUP_FAILURE_TEST_ENV}=1)`);
      restrictThisThread(table, abi, policy, prepared);
      restrictedTo = request.policy;
    } catch (error) {
      // Part of the restriction may be in place: this thread can no longer be trusted to be either.
      poisoned = true;
      post({ kind: "failed", message: (error as Error).message });
      return RESULT.SETUP_FAILED;
    }
  } else if (restrictedTo !== request.policy) {
    post({ kind: "failed", message: "the sandbox thread is restricted to another policy" });
    return RESULT.SETUP_FAILED;
  }
  const pipes = nextPipes ?? makePipes();
  nextPipes = null;
  if (typeof pipes === "string") {
    post({ kind: "failed", message: pipes });
    return RESULT.SPAWN_FAILED;
  }
  const { out, err } = pipes;
  let proc: Bun.Subprocess;
  try {
    proc = Bun.spawn(request.argv, {
      cwd: request.cwd,
      env: sandboxedCommandEnv(policy, request.env),
      stdio: [request.stdin, out[1], err[1]],
      // setsid(), as the pipe runner does: a process group of its own that the orchestrator signals as a whole.
      detached: true,
    });
  } catch (error) {
    closeAll([...out, ...err]);
    post({ kind: "failed", message: (error as Error).message });
    return RESULT.SPAWN_FAILED;
  }
  // The command holds the write ends now; ours would keep the orchestrator's reads from ever seeing end-of-file.
  closeAll([out[1], err[1]]);
  Atomics.store(ctl, CTL.PID, proc.pid);
  Atomics.store(ctl, CTL.STDOUT_FD, out[0]);
  Atomics.store(ctl, CTL.STDERR_FD, err[0]);
  const pid = proc.pid;
  const reportExit = () => post({ kind: "exit", pid, exitCode: proc.exitCode, signalCode: proc.signalCode ?? null });
  proc.exited.then(reportExit, reportExit);
  return RESULT.SPAWNED;
}

/**
 * pipe2(O_CLOEXEC): [read end, write end]. Close-on-exec, so that no other command inherits either; the spawn dups the
 * write end onto the command's stdout or stderr.
 */
function pipe(): [number, number] {
  const t = table as SyscallTable;
  const fds = new Int32Array(2);
  if (sys(t.pipe2, ptr(fds), O_CLOEXEC) !== 0) throw new Error(`pipe2 failed (${errnoName(lastErrno())})`);
  return [fds[0] as number, fds[1] as number];
}

function closeAll(fds: readonly number[]): void {
  if (table !== null) for (const fd of fds) closeFd(table, fd);
}
