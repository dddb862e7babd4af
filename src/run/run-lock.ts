import { readFileSync } from "node:fs";
import { RunFailedError, errorMessage } from "../core/errors.ts";
import { type HeldLock, LockBusyError, acquireLock } from "../platform/file-lock.ts";
import type { RunFiles } from "./paths.ts";

/**
 * The lock of one run (`<rundir>/.resume.lock`, issue 22.5): held by the one process that resumes the run, closes it
 * after its owner died (`cancel`), or removes it (`runs prune`). One attempt, no waiting: a second taker is told at
 * once. A holder that died leaves its pid, which makes the lock stale; a live one is never judged by age, since a
 * resume may run for hours. A busy lock throws `LockBusyError` with `busy(holder)`, `holder` being ` (pid <n>)` when
 * the file names one; any other failure is `Cannot lock run <id> (<path>): <message>` (exit 1).
 */
export async function lockRun(files: Pick<RunFiles, "resumeLock">, runId: string, busy: (holder: string) => string): Promise<HeldLock> {
  try {
    return await acquireLock(files.resumeLock, {
      attempts: 1,
      staleAfterMs: Number.POSITIVE_INFINITY,
      busyMessage: busy(lockHolder(files.resumeLock)),
    });
  } catch (error) {
    if (error instanceof LockBusyError) throw error;
    throw new RunFailedError(`Cannot lock run ${runId} (${files.resumeLock}): ${errorMessage(error)}`, { cause: error });
  }
}

function lockHolder(path: string): string {
  try {
    const pid = /^(\d+)\n$/.exec(readFileSync(path, "utf8"))?.[1];
    return pid === undefined ? "" : ` (pid ${pid})`;
  } catch {
    return "";
  }
}
