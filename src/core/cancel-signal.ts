/**
 * The signals that cancel a run (SPEC §13; SIGHUP added by issue 22.6: closing the terminal must not leave a run
 * `in_progress`). The running command's group gets the same signal; the CLI exits 128 + its number.
 */
export type CancelSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

export const CANCEL_SIGNALS: readonly CancelSignal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

const NUMBERS: Record<CancelSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/** 129 (SIGHUP), 130 (SIGINT), 143 (SIGTERM). */
export function cancelExitCode(signal: CancelSignal): number {
  return 128 + NUMBERS[signal];
}
