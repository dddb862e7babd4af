import { type CancelSignal, cancelExitCode } from "./cancel-signal.ts";

/**
 * Typed errors. Each carries the process exit code it maps to; `src/main.ts` is the only place that turns one into a
 * stderr line and an exit status (SPEC §4.3, §4.4).
 */
export class OrchestratorError extends Error {
  readonly exitCode: number;
  /** Extra text printed on stdout after the error line (e.g. help text after an unknown command). */
  readonly stdoutAfter?: string;
  constructor(message: string, exitCode: number, options?: { cause?: unknown; stdoutAfter?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    if (options?.stdoutAfter !== undefined) this.stdoutAfter = options.stdoutAfter;
  }
}

/** Bad input: unknown command/option, bad value, invalid config, invalid id, unknown run or pipeline. Exit 2. */
export class UsageError extends OrchestratorError {
  constructor(message: string, options?: { cause?: unknown; stdoutAfter?: string }) {
    super(message, 2, options);
  }
}

/** A run or an operation failed (resume refused, I/O error, review error). Exit 1. */
export class RunFailedError extends OrchestratorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 1, options);
  }
}

/** The CLI was cancelled by a signal: exit 128 + the signal number. */
export class CancelledError extends OrchestratorError {
  readonly signal: CancelSignal;
  constructor(signal: CancelSignal) {
    super(`Cancelled by ${signal}.`, cancelExitCode(signal));
    this.signal = signal;
  }
}

/** Ends the process with a given code without printing an error line (the command already rendered its output). */
export class ExitSignal extends OrchestratorError {
  constructor(exitCode: number) {
    super("", exitCode);
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
