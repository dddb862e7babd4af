/** Retained output per attempt and stream (SPEC §14.4). */
export const TAIL_BYTES_PER_STREAM = 65_536;
/** Grace between the first signal and SIGKILL for cancellation and --timeout (SPEC §24.7). */
export const KILL_GRACE_MS = 5_000;
