import { readFile } from "node:fs/promises";
import { RunFailedError, UsageError, errorMessage } from "../core/errors.ts";
import { digestsMatch } from "../core/sha256.ts";

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

/** Constant-time comparison (of the two tokens' digests, whose length does not depend on the tokens). */
export function resumeTokenMatches(given: string, stored: string): boolean {
  return digestsMatch(given, stored);
}

/** Throws `Resume token mismatch.` (exit 2) when a token was given and does not match. */
export function checkResumeToken(given: string | undefined, stored: string): void {
  if (given !== undefined && !resumeTokenMatches(given, stored)) throw new UsageError("Resume token mismatch.");
}
