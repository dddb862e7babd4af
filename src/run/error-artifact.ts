import type { ErrorArtifact } from "../core/schemas/records.ts";
import { writeJsonAtomic } from "./atomic-write.ts";
import { errorFilePath } from "./paths.ts";

/** A string in `details` longer than this is cut to it + `…` (SPEC §9.5). */
export const DETAIL_STRING_LIMIT = 8192;
/** A stream that produced more than this many bytes is flagged `<stream>_truncated`. */
export const RETAINED_STREAM_BYTES = 65_536;

export type ErrorArtifactInput = {
  runId: string;
  taskId: string;
  commandIndex: number;
  commandId: string;
  command: string | null;
  reason: "command-failed" | "spawn-failed" | "approval-denied" | "sandbox-unavailable";
  exitCode: number | null;
  sandboxState: string;
  /** Retained stderr text (trimmed here). stdout is never stored. */
  stderr: string;
  signal?: string | null;
  /** Total bytes each stream produced, to decide `<stream>_truncated`. */
  stdoutBytes?: number;
  stderrBytes?: number;
  /** Spawn error message (`spawn-failed`). */
  error?: string | null;
  createdAt: Date;
};

/** Cuts long strings of `details` and flags them with `<key>_truncated: true` (unless already present). */
export function truncateDetails(details: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...details };
  for (const [key, value] of Object.entries(details)) {
    if (typeof value !== "string" || value.length <= DETAIL_STRING_LIMIT) continue;
    out[key] = `${value.slice(0, DETAIL_STRING_LIMIT)}…`;
    if (!(`${key}_truncated` in out)) out[`${key}_truncated`] = true;
  }
  return out;
}

export function buildErrorArtifact(input: ErrorArtifactInput): ErrorArtifact {
  const details: Record<string, unknown> = {
    exit_code: input.exitCode,
    sandbox_state: input.sandboxState,
    stderr: input.stderr.trim(),
  };
  if (input.signal) details.signal = input.signal;
  if ((input.stdoutBytes ?? 0) > RETAINED_STREAM_BYTES) details.stdout_truncated = true;
  if ((input.stderrBytes ?? 0) > RETAINED_STREAM_BYTES) details.stderr_truncated = true;
  if (input.error) details.error = input.error;
  return {
    run_id: input.runId,
    task_id: input.taskId,
    command_index: input.commandIndex,
    command_id: input.commandId,
    command: input.command,
    reason: input.reason,
    details: truncateDetails(details) as ErrorArtifact["details"],
    created_at: input.createdAt.toISOString(),
  };
}

/** Writes `errors/NN-<slug>.json` (pretty + newline, atomic); returns its absolute path. */
export async function writeErrorArtifact(runDir: string, input: ErrorArtifactInput): Promise<string> {
  const path = errorFilePath(runDir, input.commandIndex, input.commandId);
  await writeJsonAtomic(path, buildErrorArtifact(input));
  return path;
}
