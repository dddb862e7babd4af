import type { CancelSignal } from "../core/cancel-signal.ts";
import type { OutputChunk } from "./chunker.ts";
import type { SpawnError } from "./spawn-error.ts";

/**
 * The contract of ONE attempt of a command, shared by the pipe runner (`process-runner.ts`) and the one-shot PTY
 * runner (`pty-once.ts`). `exec` and pipeline command stages both go through it.
 */
export type AttemptSpec = {
  /** Spawned directly, no shell (stages pass `["/bin/sh", "-c", command]`). */
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /** Run on a fresh pseudo-terminal; stdout and stderr are then one stream reported as "stdout". */
  tty?: { cols: number; rows: number };
  /**
   * The command's stdin: `"inherit"` passes the orchestrator's own stdin through (`exec`, issue 22.10); default
   * `/dev/null`. Ignored with `tty` (the command's stdin is then the pseudo-terminal).
   */
  stdin?: "inherit" | "ignore";
  /** Lets a caller type into the terminal of a `tty` attempt while it runs (MCP `write_stdin`, issue 19). */
  input?: AttemptInput;
  /** Past it: SIGTERM to the process group, SIGKILL after `graceMs`; `timedOut` is then true. */
  timeoutMs?: number;
  /** Delay between the first signal (timeout or cancel) and SIGKILL. */
  graceMs?: number;
};

export type AttemptResult = {
  /** The real exit code; null when killed by a signal; 127/126/1 after a spawn failure. */
  exitCode: number | null;
  /** Signal name of the death ("SIGKILL"), else null. */
  signal: string | null;
  durationMs: number;
  /** Retained text: the last 65 536 bytes of each stream (SPEC §14.4). */
  stdout: string;
  stderr: string;
  /** Bytes each stream produced in total. */
  stdoutBytes: number;
  stderrBytes: number;
  timedOut: boolean;
  /** The signal `cancel` was called with, if it was called while the attempt ran. */
  cancelledBy: CancelSignal | null;
  spawnError: SpawnError | null;
};

/** Where the attempt plugs its terminal writer in: connected once the command runs, disconnected (null) at its end. */
export interface AttemptInput {
  connect(write: ((data: string) => void) | null): void;
}

export type ChunkHandler = (chunk: OutputChunk) => void | Promise<void>;

export interface RunningAttempt {
  /** Null after a spawn failure. */
  readonly pid: number | null;
  /** Never rejects. Resolves after the last `onChunk` call has settled. */
  readonly result: Promise<AttemptResult>;
  /** Sends `signal` to the whole process group, then SIGKILL after the grace period if any member remains. */
  cancel(signal: CancelSignal): void;
}

export const DEFAULT_GRACE_MS = 5000;
/** How long output may still arrive after the process exited (a descendant may hold the pipes). SPEC §9.3. */
export const DRAIN_AFTER_EXIT_MS = 500;

/** The result of an attempt that never started. */
export function spawnFailedResult(error: SpawnError, startedAt: number): AttemptResult {
  return {
    exitCode: error.exitCode,
    signal: null,
    durationMs: Math.max(0, Math.round(performance.now() - startedAt)),
    stdout: "",
    stderr: "",
    stdoutBytes: 0,
    stderrBytes: 0,
    timedOut: false,
    cancelledBy: null,
    spawnError: error,
  };
}

