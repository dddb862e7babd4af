/**
 * How the orchestrator and its sandbox thread talk (sandbox-thread.ts, sandbox-thread-main.ts): a shared control
 * block for what must be answered synchronously — the attempt's runner needs the pid and pipes before it returns —
 * and messages for the rest (exits, the first request's setup). Only constants and types: both ends load it.
 */

/** Int32 slots of the control block. */
export const CTL = {
  /** The request slot: IDLE → REQUESTED (orchestrator) → CLAIMED (thread) → DONE (thread) → IDLE (orchestrator). */
  STATE: 0,
  /** BOOTING until the thread has probed; then READY, or UNUSABLE (it will not restrict itself). */
  READY: 1,
  /** The Landlock ABI the thread found (0: none). */
  ABI: 2,
  /** The outcome of the last request (RESULT.*). */
  RESULT: 3,
  PID: 4,
  STDOUT_FD: 5,
  STDERR_FD: 6,
  SIZE: 8,
} as const;

export const STATE = { IDLE: 0, REQUESTED: 1, CLAIMED: 2, DONE: 3 } as const;
export const READY = { BOOTING: 0, READY: 1, UNUSABLE: 2 } as const;
/** SPAWNED: pid and pipes are in the block. SETUP_FAILED: the thread could not restrict itself (it is discarded). */
export const RESULT = { SPAWNED: 0, SETUP_FAILED: 1, SPAWN_FAILED: 2 } as const;

export type ThreadInit = { kind: "init"; control: SharedArrayBuffer; env: Record<string, string | undefined> };
export type ThreadSpawn = {
  kind: "spawn";
  /** The encoded policy (core/sandbox-policy.ts); a thread restricted to another one refuses. */
  policy: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  stdin: "inherit" | "ignore";
};
export type ThreadRequest = ThreadInit | ThreadSpawn;

export type ThreadExit = { kind: "exit"; pid: number; exitCode: number | null; signalCode: string | number | null };
export type ThreadFailure = { kind: "failed"; message: string };
export type ThreadMessage = ThreadExit | ThreadFailure;

/**
 * Set to `1` in the orchestrator's environment, the thread fails to restrict itself as if the kernel had refused: tests
 * prove that the attempt then goes to the helper, sandboxed, and never runs unrestricted.
 */
export const THREAD_SETUP_FAILURE_TEST_ENV = "CODEX_ORCHESTRATOR_TEST_SANDBOX_THREAD_FAIL";

/**
 * Set to `1`, the thread dies (an uncaught error) right after it spawned a command: tests prove that its commands are
 * then killed and their attempts end, instead of waiting forever for exits that no thread will report.
 */
export const THREAD_CRASH_TEST_ENV = "CODEX_ORCHESTRATOR_TEST_SANDBOX_THREAD_CRASH";
