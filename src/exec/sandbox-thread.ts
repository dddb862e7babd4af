import { closeSync } from "node:fs";
import { resolve } from "node:path";
import { SANDBOX_HELPER_ENTRY } from "../core/sandbox-policy.ts";
import type { LandlockProbe } from "../core/sandbox-backend.ts";
import type { AttemptSpec } from "./attempt.ts";
import { selfCommand } from "./self-command.ts";
import { CTL, READY, RESULT, STATE, type ThreadExit, type ThreadMessage, type ThreadRequest } from "./sandbox-thread-protocol.ts";

/**
 * The orchestrator's side of the sandbox thread (sandbox-thread-main.ts; issue 15/21). A Landlock attempt on pipes —
 * argv `<self> __sandbox-exec <policy> -- <command…>`, as the autonomy layer wraps it — is spawned by a worker thread
 * restricted to that policy instead of by a second start of the executable (the helper), which on this 2-core machine
 * added 13–25 ms per command and 18–40 ms per sandboxed stage (docs/benchmarks.md). The thread makes the pipes and
 * spawns; this side gets the pid and the pipes' read ends synchronously (a shared control block), reads the pipes like
 * any attempt's, and learns the exit from a message.
 *
 * Threads are kept per policy (a restricted thread cannot be loosened, and takes only its own policy's commands); one
 * unrestricted spare is started ahead (`startSandboxThread`: by `exec --sandbox` at the executable's entry, and kept
 * by long-lived hosts) so that a new policy finds a thread already started. Whenever a thread cannot take an attempt —
 * disabled, not usable on this kernel, failed to restrict itself, a terminal attempt — the attempt goes to the helper
 * as before, which fails closed on its own; the thread path never runs an attempt unsandboxed.
 */

/** `CODEX_ORCHESTRATOR_SANDBOX_THREAD=0`: every Landlock attempt uses the helper (sandbox-helper.ts). */
export const SANDBOX_THREAD_ENV = "CODEX_ORCHESTRATOR_SANDBOX_THREAD";

/** How long an attempt waits for a thread to boot or to answer before it goes to the helper instead. */
const BOOT_WAIT_MS = 10_000;
const ANSWER_WAIT_MS = 30_000;
/** Threads restricted to a policy kept for later attempts (each a runtime of its own, ~9 MiB); beyond it the least
 * recently used idle one ends. */
const MAX_RESTRICTED = 4;

type Thread = {
  worker: Worker;
  control: Int32Array;
  /** Exits of the commands it spawned, by pid. */
  exits: Map<number, (exit: ThreadExit) => void>;
  inFlight: number;
  dead: boolean;
  /** The last failure it reported (diagnostics; the attempt then goes to the helper). */
  lastFailure: string | null;
};

let spare: Thread | null = null;
/** Restricted threads by encoded policy, least recently used first. */
const restricted = new Map<string, Thread>();
let keepSpare = false;

/** Whether the thread path is on for this process. */
export function sandboxThreadEnabled(env: Record<string, string | undefined> = process.env): boolean {
  return process.platform === "linux" && env[SANDBOX_THREAD_ENV] !== "0" && process.env[SANDBOX_THREAD_ENV] !== "0";
}

/**
 * Whether the sandbox thread would be used on this machine for Landlock `abi`, and why not (`sandbox check`). Loads the
 * Landlock module (bun:ffi) to ask the kernel for its errata.
 */
export async function sandboxThreadUsable(abi: number, env: Record<string, string | undefined> = process.env): Promise<{ usable: boolean; reason: string | null }> {
  if (!sandboxThreadEnabled(env)) return { usable: false, reason: `${SANDBOX_THREAD_ENV}=0` };
  const { threadRestrictionSafe } = await import("./landlock.ts");
  if (!threadRestrictionSafe(abi)) return { usable: false, reason: `Landlock ABI ${abi} without erratum 2 scopes signals between threads` };
  return { usable: true, reason: null };
}

/** Starts the spare thread if there is none (it boots and probes beside the caller). Never throws. */
export function startSandboxThread(env: Record<string, string | undefined> = process.env): void {
  if (!sandboxThreadEnabled(env) || (spare !== null && !spare.dead)) return;
  spare = createThread(env);
}

/** A long-lived server (`mcp`), idle between calls: a spare is started again each time one is taken. */
export function keepSandboxThreadSpare(on: boolean): void {
  keepSpare = on;
  if (!on) stopSandboxThreads();
}

/** Ends every thread with no command running (their commands, if any, are not affected: they are processes). */
export function stopSandboxThreads(): void {
  if (spare !== null && spare.inFlight === 0) {
    end(spare);
    spare = null;
  }
  for (const [policy, t] of restricted) {
    if (t.inFlight === 0) {
      end(t);
      restricted.delete(policy);
    }
  }
}

/**
 * What a thread's probe found, if one has finished (null: none has — probe yourself). The spare's is read without
 * waiting, as the helper's report is (sandbox-prespawn.ts).
 */
export function sandboxThreadProbe(): LandlockProbe | null {
  for (const t of [spare, ...restricted.values()]) {
    if (t === null || t.dead || Atomics.load(t.control, CTL.READY) === READY.BOOTING) continue;
    const abi = Atomics.load(t.control, CTL.ABI);
    if (abi >= 1) return { abi, reason: null };
  }
  return null;
}

/** A command spawned by a sandbox thread, shaped as the pipe runner reads a subprocess. */
export type ThreadProcess = {
  pid: number;
  stdout: ReadableStream<Uint8Array>;
  stderr: ReadableStream<Uint8Array>;
  exited: Promise<number | null>;
  exitCode: number | null;
  signalCode: string | number | null;
  /** Closes our read ends of its pipes (once both streams are done with). */
  release(): void;
};

/**
 * The attempt spawned by the sandbox thread of its policy; null when it is not a thread's to run, and nothing ran (the
 * runner then uses the helper); an Error when a thread took it and never answered (it may have started: the attempt
 * fails rather than run twice). Blocks until the thread has spawned it (well under a millisecond when it is ready).
 */
export function spawnInSandboxThread(spec: AttemptSpec): ThreadProcess | Error | null {
  if (spec.tty !== undefined || !sandboxThreadEnabled()) return null;
  const prefix = [...selfCommand(), SANDBOX_HELPER_ENTRY];
  const argv = spec.argv;
  if (argv.length < prefix.length + 3 || argv[prefix.length + 1] !== "--" || !prefix.every((word, i) => argv[i] === word)) return null;
  const policy = argv[prefix.length] as string;
  const command = argv.slice(prefix.length + 2);

  let thread: Thread | null = restricted.get(policy) ?? null;
  let fresh = false;
  if (thread === null || thread.dead) {
    restricted.delete(policy);
    thread = spare !== null && !spare.dead ? spare : createThread(process.env);
    spare = null;
    fresh = true;
    if (thread === null) return null;
  }
  if (!waitReady(thread)) {
    end(thread);
    return null;
  }
  const ctl = thread.control;
  Atomics.store(ctl, CTL.STATE, STATE.REQUESTED);
  const request: ThreadRequest = { kind: "spawn", policy, argv: command, env: spec.env, cwd: resolve(spec.cwd), stdin: spec.stdin === "inherit" ? "inherit" : "ignore" };
  thread.worker.postMessage(request);
  const state = waitAnswer(ctl);
  if (state === "abandoned") {
    // Never claimed: nothing ran. The thread is not trusted with another attempt.
    end(thread);
    return null;
  }
  const result = Atomics.load(ctl, CTL.RESULT);
  Atomics.store(ctl, CTL.STATE, STATE.IDLE);
  if (state === "lost") {
    end(thread);
    return new Error(`the sandbox thread did not answer within ${ANSWER_WAIT_MS / 1000} s`);
  }
  if (result !== RESULT.SPAWNED) {
    // SETUP_FAILED: it could not restrict itself, or not to this policy; SPAWN_FAILED: the command could not start
    // (the helper then reports it as it always has, with the same texts and codes). Either way nothing ran.
    if (result === RESULT.SETUP_FAILED) end(thread);
    else if (fresh) adopt(policy, thread);
    return null;
  }
  if (fresh) adopt(policy, thread);
  else {
    restricted.delete(policy);
    restricted.set(policy, thread);
  }
  return processOf(thread, Atomics.load(ctl, CTL.PID), Atomics.load(ctl, CTL.STDOUT_FD), Atomics.load(ctl, CTL.STDERR_FD));
}

function adopt(policy: string, thread: Thread): void {
  restricted.set(policy, thread);
  if (restricted.size > MAX_RESTRICTED) {
    for (const [p, t] of restricted) {
      if (t.inFlight === 0 && t !== thread) {
        end(t);
        restricted.delete(p);
        break;
      }
    }
  }
  // The next new policy should find a thread already started; on the next turn, out of this attempt's way.
  if (keepSpare && spare === null) setTimeout(() => startSandboxThread(process.env), 0);
}

function processOf(thread: Thread, pid: number, stdoutFd: number, stderrFd: number): ThreadProcess {
  thread.inFlight++;
  // While a command runs its exit must come in: the thread keeps the process alive until then.
  refs(thread.worker).ref();
  let released = false;
  const proc: ThreadProcess = {
    pid,
    stdout: Bun.file(stdoutFd).stream(),
    stderr: Bun.file(stderrFd).stream(),
    exitCode: null,
    signalCode: null,
    exited: new Promise<number | null>((resolveExit) => {
      thread.exits.set(pid, (exit) => {
        proc.exitCode = exit.exitCode;
        proc.signalCode = exit.signalCode;
        thread.inFlight--;
        if (thread.inFlight === 0) refs(thread.worker).unref();
        resolveExit(exit.exitCode);
      });
    }),
    release() {
      if (released) return;
      released = true;
      closeQuietly(stdoutFd);
      closeQuietly(stderrFd);
    },
  };
  return proc;
}

function createThread(env: Record<string, string | undefined>): Thread | null {
  try {
    const worker = new Worker(threadEntryUrl());
    const control = new Int32Array(new SharedArrayBuffer(CTL.SIZE * 4));
    const thread: Thread = { worker, control, exits: new Map(), inFlight: 0, dead: false, lastFailure: null };
    worker.onmessage = (event: MessageEvent<ThreadMessage>) => {
      const message = event.data;
      if (message.kind === "exit") {
        const done = thread.exits.get(message.pid);
        thread.exits.delete(message.pid);
        done?.(message);
      } else if (message.kind === "failed") {
        thread.lastFailure = message.message;
      }
    };
    worker.onerror = () => {
      thread.dead = true;
    };
    // A thread that ends with commands running (an uncaught error kills a worker) will never report their exits: its
    // commands' process groups are killed and their attempts end as killed, rather than wait forever.
    worker.addEventListener("close", () => {
      thread.dead = true;
      if (spare === thread) spare = null;
      for (const [policy, t] of restricted) if (t === thread) restricted.delete(policy);
      for (const [pid, done] of thread.exits) {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          // The group is gone already.
        }
        done({ kind: "exit", pid, exitCode: null, signalCode: "SIGKILL" });
      }
      thread.exits.clear();
    });
    const init: ThreadRequest = { kind: "init", control: control.buffer as SharedArrayBuffer, env: { ...env } };
    worker.postMessage(init);
    refs(worker).unref();
    return thread;
  } catch {
    return null;
  }
}

/** The worker's entry: beside this module from source; an entry point of its own in the executable (build.ts). */
function threadEntryUrl(): string {
  if (import.meta.url.endsWith(".ts")) return new URL("./sandbox-thread-main.ts", import.meta.url).href;
  return new URL("./exec/sandbox-thread-main.js", import.meta.url).href;
}

function waitReady(thread: Thread): boolean {
  const deadline = performance.now() + BOOT_WAIT_MS;
  for (;;) {
    const ready = Atomics.load(thread.control, CTL.READY);
    if (ready === READY.READY) return !thread.dead;
    if (ready === READY.UNUSABLE || thread.dead) return false;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    Atomics.wait(thread.control, CTL.READY, READY.BOOTING, Math.min(left, 50));
  }
}

/** "done"; "abandoned" when the thread never claimed the request (nothing ran); "lost" when it claimed but never answered. */
function waitAnswer(ctl: Int32Array): "done" | "abandoned" | "lost" {
  const deadline = performance.now() + ANSWER_WAIT_MS;
  for (;;) {
    const state = Atomics.load(ctl, CTL.STATE);
    if (state === STATE.DONE) return "done";
    if (performance.now() > deadline) {
      if (Atomics.compareExchange(ctl, CTL.STATE, STATE.REQUESTED, STATE.IDLE) === STATE.REQUESTED) return "abandoned";
      if (Atomics.load(ctl, CTL.STATE) === STATE.DONE) return "done";
      return "lost";
    }
    Atomics.wait(ctl, CTL.STATE, state, 50);
  }
}

function end(thread: Thread): void {
  thread.dead = true;
  try {
    thread.worker.terminate();
  } catch {
    // Already ended.
  }
}

/** Bun's workers can be unref'd like timers (not in the DOM's types). */
function refs(worker: Worker): { ref(): void; unref(): void } {
  return worker as unknown as { ref(): void; unref(): void };
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
