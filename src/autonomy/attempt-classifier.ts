import { SANDBOX_HELPER_PREFIX } from "../core/sandbox-policy.ts";
import type { SandboxState } from "../core/schemas/common.ts";

/** What the orchestrator needs from one attempt's result (the process runner returns more). */
export type AttemptResultLike = {
  exitCode: number | null;
  signal?: string | null;
  stderr?: string;
  stdout?: string;
  spawnError?: string | null;
};

export type AttemptClass =
  | { kind: "succeeded" }
  /** A non-zero exit or a signal: the command's own failure, never retried. */
  | { kind: "failed" }
  /** The command could not start (not found, not executable, bad cwd). */
  | { kind: "spawn-failed"; reason: string }
  /** A short-lived OS condition; the same attempt again may work. */
  | { kind: "transient"; reason: string }
  /** The sandbox refused an operation the command needed. */
  | { kind: "denied"; reason: string }
  /** The sandbox itself could not be set up. */
  | { kind: "sandbox-failed"; reason: string };

const FS_DENIAL = /Read-only file system|Operation not permitted|Permission denied|\b(?:EROFS|EPERM|EACCES)\b/i;
const NET_DENIAL =
  /Network is unreachable|Could not resolve host|Temporary failure in name resolution|getaddrinfo (?:EAI_AGAIN|ENOTFOUND)|\b(?:ENETUNREACH|EAI_AGAIN)\b/i;
const TRANSIENT = /\b(?:ETXTBSY|EAGAIN)\b|Text file busy|Resource temporarily unavailable/i;
/**
 * A backend's own setup failure: bubblewrap's `bwrap: …`, the Landlock helper's line (both exit 1, nothing ran), or
 * `sandbox-exec: …` (a profile macOS refused; counted only with exit 1 like the others — its own exit codes were not
 * checked on a real Mac, and another code leaves the attempt a plain failure, never retried).
 */
let setupFailure: RegExp | null = null;
/** Built at the first sandboxed failure, not at start-up: a RegExp built from a string costs ~0.4 ms there (issue 21). */
const SETUP_FAILURE = (): RegExp => {
  setupFailure ??= new RegExp(`^(?:bwrap: |sandbox-exec: |${SANDBOX_HELPER_PREFIX})`, "m");
  return setupFailure;
};

/**
 * Classifies an attempt. A denial counts only for an attempt that ran inside a sandbox and failed: a plain
 * "Permission denied" outside one is the command's own business and is never escalated.
 */
export function classifyAttempt(
  result: AttemptResultLike,
  context: { sandboxState: SandboxState; networkBlocked: boolean },
): AttemptClass {
  if (result.spawnError != null && result.spawnError !== "") {
    if (TRANSIENT.test(result.spawnError)) return { kind: "transient", reason: result.spawnError };
    return { kind: "spawn-failed", reason: result.spawnError };
  }
  if (result.exitCode === 0 && (result.signal ?? null) === null) return { kind: "succeeded" };
  if (context.sandboxState !== "sandboxed") return { kind: "failed" };
  // On a PTY stderr is merged into stdout: look there when stderr is empty.
  const text = result.stderr !== undefined && result.stderr !== "" ? result.stderr : (result.stdout ?? "");
  const setup = SETUP_FAILURE().exec(text);
  if (setup !== null && result.exitCode === 1) return { kind: "sandbox-failed", reason: firstLine(text, setup.index) };
  const fs = FS_DENIAL.exec(text);
  if (fs !== null) return { kind: "denied", reason: fs[0] };
  if (context.networkBlocked) {
    const net = NET_DENIAL.exec(text);
    if (net !== null) return { kind: "denied", reason: `${net[0]} (network disabled)` };
  }
  return { kind: "failed" };
}

function firstLine(text: string, from: number): string {
  const end = text.indexOf("\n", from);
  return text.slice(from, end === -1 ? undefined : end).slice(0, 200);
}
