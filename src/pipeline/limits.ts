/** Grace between the first signal and SIGKILL for cancellation and --timeout (SPEC §24.7). */
export const KILL_GRACE_MS = 5_000;
/** `exec --output-schema` validates the whole stdout up to this many bytes; past it the run fails unvalidated (issue 22). */
export const OUTPUT_SCHEMA_MAX_BYTES = 16 * 1024 * 1024;
