import { SANDBOX_HELPER_PREFIX } from "../core/sandbox-policy.ts";
import type { AttemptResult } from "./attempt.ts";

/** The spawn errors the helper reports with the runner's own texts (src/exec/spawn-error.ts). */
const SPAWN_MESSAGE = /^(?:command not found|permission denied|exec format error): /;

/**
 * An attempt through the Landlock helper that ran nothing because the helper could not execute the command (it
 * resolves the program itself, inside the sandbox): the same spawn error an unwrapped spawn reports (127/126), so
 * the stage records it as one and nothing is retried. Any other result is returned as it is.
 */
export function withHelperSpawnError(result: AttemptResult): AttemptResult {
  if (result.spawnError !== null || result.signal !== null) return result;
  if (result.exitCode !== 127 && result.exitCode !== 126) return result;
  // On a PTY the helper's line is in the terminal's one stream.
  const text = (result.stderr !== "" ? result.stderr : result.stdout).replace(/\r?\n$/, "");
  if (!text.startsWith(SANDBOX_HELPER_PREFIX) || text.includes("\n")) return result;
  const message = text.slice(SANDBOX_HELPER_PREFIX.length);
  if (!SPAWN_MESSAGE.test(message)) return result;
  return { ...result, spawnError: { message, exitCode: result.exitCode } };
}
