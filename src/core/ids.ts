import { UsageError } from "./errors.ts";

/** Where a task id came from; named in the error message (SPEC §3.2). */
export type TaskIdSource = "--task" | "MCP_RUNNER_TASK_ID" | "manifest task_id";

export const DEFAULT_TASK_ID = "0101";
const RUN_ID_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-[0-9a-f]{8}$/;

/** The reason a task id is invalid, or null when it is valid. */
export function taskIdProblem(value: unknown): string | null {
  if (typeof value !== "string" || value.length === 0) return "value must be a non-empty string";
  if (!/^[A-Za-z0-9]/.test(value)) return "must start with a letter or digit";
  if (!/^[A-Za-z0-9._-]*$/.test(value)) return "only letters, digits, '.', '_' and '-' are allowed";
  if (value.length > 128) return "must be at most 128 characters";
  if (value.includes("..")) return "must not contain '..'";
  return null;
}

export function validateTaskId(value: unknown, source: TaskIdSource): string {
  const problem = taskIdProblem(value);
  if (problem !== null) throw new UsageError(`Invalid task ID "${String(value)}" from ${source}: ${problem}.`);
  return value as string;
}

/**
 * A session id: the task id rule (it names a directory). The message calls it a session id and names where it came
 * from — `--session`, or the `<id>` argument of `session <action>` (issue 22.9).
 */
export function validateSessionId(value: unknown, source: string): string {
  const problem = taskIdProblem(value);
  if (problem !== null) throw new UsageError(`Invalid session ID "${String(value)}" from ${source}: ${problem}.`);
  return value as string;
}

/** Task id from the environment: unset or empty → `0101`. */
export function taskIdFromEnv(env: Record<string, string | undefined>): string {
  const raw = env.MCP_RUNNER_TASK_ID;
  if (raw === undefined || raw === "") return DEFAULT_TASK_ID;
  return validateTaskId(raw, "MCP_RUNNER_TASK_ID");
}

export function isRunId(value: string): boolean {
  return RUN_ID_PATTERN.test(value);
}

/** A run id from the command line (SPEC §3.3); `source` names the flag when it is not the run being addressed. */
export function validateRunId(value: string, source?: string): string {
  if (!isRunId(value)) {
    throw new UsageError(`Invalid run ID "${value}"${source === undefined ? "" : ` from ${source}`}: expected YYYY-MM-DDTHH-MM-SS-mmmZ-xxxxxxxx.`);
  }
  return value;
}

/** Bytes as lowercase hex digits, two per byte. */
export function hexOf(bytes: Uint8Array): string {
  // A plain loop: the first call of a builtin written in JavaScript (Array.from, padStart, a regular expression)
  // costs a process ~0.3–1 ms to compile it, measured in the executable, and these run at every start-up (issue 21).
  let hex = "";
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    hex += HEX_DIGITS.charAt(b >> 4) + HEX_DIGITS.charAt(b & 15);
  }
  return hex;
}

const HEX_DIGITS = "0123456789abcdef";

/** `size` random bytes as hex (temporary file names, tokens). */
export function randomHex(size: number): string {
  return hexOf(crypto.getRandomValues(new Uint8Array(size)));
}

/** `<ISO with ':' and '.' → '-'>-<8 hex>` (SPEC §3.3). */
export function newRunId(now: Date = new Date(), random: () => Uint8Array = () => crypto.getRandomValues(new Uint8Array(4))): string {
  const iso = now.toISOString();
  // ':' and '.' → '-' without a regular expression (see hexOf).
  let stamp = "";
  for (let i = 0; i < iso.length; i++) {
    const c = iso[i] as string;
    stamp += c === ":" || c === "." ? "-" : c;
  }
  return `${stamp}-${hexOf(random().subarray(0, 4))}`;
}

/** Stage id → file slug (SPEC §7.1). */
export function stageSlug(stageId: string): string {
  // Every run of characters other than ASCII letters and digits becomes one '-', none at either end; at most 80
  // characters. A loop rather than regular expressions (see hexOf): every run names a stage log with it.
  let slug = "";
  for (let i = 0; i < stageId.length; i++) {
    const c = stageId.charCodeAt(i);
    const word = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (word) slug += stageId[i];
    else if (slug !== "" && !slug.endsWith("-")) slug += "-";
  }
  if (slug.endsWith("-")) slug = slug.slice(0, -1);
  slug = slug.slice(0, 80);
  return slug === "" ? "command" : slug;
}

/** `NN-<slug>` for stage index (1-based). */
export function stageFileStem(index: number, stageId: string): string {
  return `${index < 10 ? `0${index}` : String(index)}-${stageSlug(stageId)}`;
}
