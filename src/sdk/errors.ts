/**
 * Typed errors of the SDK. They extend `Error` (so the compatibility layer's `Error` contracts hold) and carry the
 * facts a caller needs to react: what was tried, the exit code, the signal, the stderr of the CLI.
 */

/** Base class of every error the SDK raises itself (spawn errors of the runtime pass through unchanged). */
export class OrchestratorSdkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** No codex-orchestrator executable was found; `tried` lists each place looked at, in order, with the reason. */
export class BinaryNotFoundError extends OrchestratorSdkError {
  readonly tried: readonly string[];
  constructor(tried: readonly string[]) {
    super(
      `codex-orchestrator executable not found (tried ${tried.join("; ")}). Pass binaryPath or set CODEX_ORCHESTRATOR_BIN.`,
    );
    this.tried = tried;
  }
}

/** The CLI printed an event envelope of a newer major version than this SDK understands (`v` > supported). */
export class EventVersionError extends OrchestratorSdkError {
  readonly version: number;
  readonly supported: number;
  readonly line: string;
  constructor(version: number, supported: number, line: string) {
    super(
      `Unsupported event envelope version ${version} (this SDK reads version ${supported}); upgrade the SDK to match the codex-orchestrator binary.`,
    );
    this.version = version;
    this.supported = supported;
    this.line = line;
  }
}

/** Message of the compatibility layer (SPEC §21) when the CLI ends without a `run:summary` event. */
export const EXEC_NO_SUMMARY_MESSAGE = "Exec command exited without emitting a summary event.";

/** The CLI process ended without printing a `run:summary` event (bad input, crash, killed). */
export class RunWithoutSummaryError extends OrchestratorSdkError {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Everything the CLI wrote on stderr (its last 64 KiB), untrimmed. */
  readonly stderr: string;
  constructor(message: string, details: { exitCode: number | null; signal: string | null; stderr: string }) {
    super(message);
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.stderr = details.stderr;
  }
}

/** A non-streaming CLI command (`status`, `plan`, `resume`) failed; the message is the CLI's own error line. */
export class CliCommandError extends OrchestratorSdkError {
  readonly args: readonly string[];
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderr: string;
  readonly stdout: string;
  constructor(
    message: string,
    details: { args: readonly string[]; exitCode: number | null; signal: string | null; stderr: string; stdout: string },
  ) {
    super(message);
    this.args = details.args;
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.stderr = details.stderr;
    this.stdout = details.stdout;
  }
}

/** Rejection reason when an `AbortSignal` was already aborted before the CLI was started (nothing was run). */
export class AbortedBeforeStartError extends OrchestratorSdkError {
  constructor(reason: unknown) {
    super("The run was aborted before it started.", { cause: reason });
  }
}

/** Last non-empty line of a text, trimmed (the CLI's one-line error), or undefined. */
export function lastLine(text: string): string | undefined {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]) return lines[i];
  return undefined;
}
