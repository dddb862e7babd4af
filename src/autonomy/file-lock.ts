import { open, readFile, rm, stat } from "node:fs/promises";
import { RunFailedError, errorMessage } from "../core/errors.ts";
import { lockIsStale } from "../core/lock-staleness.ts";

export type FileLockOptions = {
  /** Give up after this long (default 5 s). */
  timeoutMs?: number;
  /** A lock older than this whose owner cannot be confirmed alive is broken (default 30 s). */
  staleMs?: number;
};

/**
 * Runs `fn` while holding `<path>` as an exclusive lock file (O_EXCL create, holding `pid`). A lock whose owner is
 * gone, or that is older than `staleMs`, is broken (`lockIsStale`): a crashed CLI must not lock the approval cache.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const staleMs = options.staleMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    try {
      const handle = await open(path, "wx", 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new RunFailedError(`Cannot lock ${path}: ${errorMessage(error)}`);
      }
      if (await isStale(path, staleMs)) {
        await rm(path, { force: true });
        continue;
      }
      if (Date.now() >= deadline) throw new RunFailedError(`Timed out waiting for the lock ${path}.`);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 100);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}

async function isStale(path: string, staleMs: number): Promise<boolean> {
  try {
    const [info, text] = await Promise.all([stat(path), readFile(path, "utf8")]);
    return lockIsStale(text, Date.now() - info.mtimeMs, staleMs, isAlive);
  } catch {
    // Vanished (released meanwhile) or unreadable: retry the create rather than breaking it.
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
