import { createHash, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { RunFailedError, UsageError, errorMessage } from "../core/errors.ts";

/**
 * The stored resume token (SPEC §12 step 4): the manifest's `resume_token`, or the trimmed `.resume-token` file when
 * that is empty. A read error is `Resume token missing for run <id>: <message>` (exit 1).
 */
export async function storedResumeToken(manifestToken: string, tokenFile: string, runId: string): Promise<string> {
  if (manifestToken !== "") return manifestToken;
  try {
    return (await readFile(tokenFile, "utf8")).trim();
  } catch (error) {
    throw new RunFailedError(`Resume token missing for run ${runId}: ${errorMessage(error)}`);
  }
}

/** Constant-time comparison: SHA-256 digests have equal length whatever the inputs, so timingSafeEqual applies. */
export function resumeTokenMatches(given: string, stored: string): boolean {
  const a = createHash("sha256").update(given, "utf8").digest();
  const b = createHash("sha256").update(stored, "utf8").digest();
  return timingSafeEqual(a, b);
}

/** Throws `Resume token mismatch.` (exit 2) when a token was given and does not match. */
export function checkResumeToken(given: string | undefined, stored: string): void {
  if (given !== undefined && !resumeTokenMatches(given, stored)) throw new UsageError("Resume token mismatch.");
}
