/** Prefix of the CLI's own log lines (SPEC §4.3): info on stdout, warnings and errors on stderr. */
export const LOG_PREFIX = "[Codex-Orchestrator] ";
