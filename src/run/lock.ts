import { link, mkdir, open, readdir, readFile, stat, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { RunFailedError } from "../core/errors.ts";

/** The lock stayed held by a live, recent holder through every attempt (SPEC §7.3). */
export class LockBusyError extends RunFailedError {}

export type LockOptions = {
  /** Exact message of the error thrown after the last attempt. */
  busyMessage: string;
  attempts?: number;
  /** Age after which a lock is stale whatever its pid says. */
  staleAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  isAlive?: (pid: number) => boolean;
  pid?: number;
};

const DEFAULT_ATTEMPTS = 5;
const DEFAULT_STALE_MS = 30_000;
/** Bounds how many stale locks one acquisition may break, so a peer that keeps leaving stale locks cannot spin us. */
const MAX_STALE_BREAKS = 32;

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Sleep before attempt n+1 (n ≥ 1): 100, 200, 400, 800 ms (×2, capped at 1000 ms). */
export function lockBackoffMs(failedAttempts: number): number {
  return Math.min(100 * 2 ** (failedAttempts - 1), 1000);
}

type Observation = { ino: number; mtimeMs: number; content: string };

async function observe(path: string): Promise<Observation | null> {
  try {
    const [info, content] = await Promise.all([stat(path), readFile(path, "utf8")]);
    return { ino: info.ino, mtimeMs: info.mtimeMs, content };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

function isStale(seen: Observation, now: number, staleAfterMs: number, isAlive: (pid: number) => boolean): boolean {
  if (now - seen.mtimeMs > staleAfterMs) return true;
  // Only a complete `<pid>\n` is trusted: an empty or partial file may belong to a holder still writing its pid.
  const match = /^(\d+)\n$/.exec(seen.content);
  if (match === null) return false;
  const pid = Number(match[1]);
  return pid > 0 && !isAlive(pid);
}

/** A held lock; `release()` removes the file (only if it is still ours). */
export type HeldLock = { path: string; release: () => Promise<void> };

/**
 * Acquires an exclusive lock file holding `<pid>\n` (created whole, see `createWithPid`). A stale lock (dead pid or
 * mtime older than 30 s) is removed and creation retried at once without counting an attempt; it is re-read just
 * before removal so that a lock replaced meanwhile by a live holder is left alone (SPEC §24.10).
 */
export async function acquireLock(path: string, options: LockOptions): Promise<HeldLock> {
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_MS;
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const isAlive = options.isAlive ?? pidIsAlive;
  const pid = options.pid ?? process.pid;
  await mkdir(dirname(path), { recursive: true });

  let failed = 0;
  let staleBreaks = 0;
  for (;;) {
    const ino = await createWithPid(path, pid);
    if (ino !== null) {
      await clearDeadTemps(path, isAlive);
      return { path, release: () => releaseLock(path, ino) };
    }
    const seen = await observe(path);
    if (seen === null) continue; // released between our open and our read: retry at once
    if (staleBreaks < MAX_STALE_BREAKS && isStale(seen, now(), staleAfterMs, isAlive)) {
      const again = await observe(path);
      if (again !== null && again.ino === seen.ino && again.mtimeMs === seen.mtimeMs && again.content === seen.content) {
        await unlink(path).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== "ENOENT") throw error;
        });
      }
      staleBreaks += 1;
      continue;
    }
    failed += 1;
    if (failed >= attempts) throw new LockBusyError(options.busyMessage);
    await sleep(lockBackoffMs(failed));
  }
}

/**
 * Creates the lock file already holding `<pid>\n`: the pid is written to a temporary file of our own, which is then
 * hard-linked to the lock path (atomic; EEXIST when the lock is held). A lock file is therefore never seen empty: a
 * holder killed between creating the file and writing its pid used to leave an empty lock that nobody could judge
 * (a live holder might still be writing) until it was 30 s old, so every run of the task failed to record its metrics
 * line meanwhile (found by the kill -9 torture test). Returns the lock's inode, or null when it is held.
 */
async function createWithPid(path: string, pid: number): Promise<number | null> {
  const temp = `${path}.${pid}.${Math.random().toString(36).slice(2, 10)}.tmp`;
  const handle = await open(temp, "wx", 0o644);
  try {
    try {
      await handle.write(`${pid}\n`);
      const { ino } = await handle.stat();
      await link(temp, path);
      return ino;
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return null;
    throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/** Removes `<lock>.<pid>.<random>.tmp` files whose writer is dead (killed between creating and removing one). */
async function clearDeadTemps(path: string, isAlive: (pid: number) => boolean): Promise<void> {
  const prefix = `${basename(path)}.`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
    const pid = Number(name.slice(prefix.length).split(".")[0]);
    if (Number.isInteger(pid) && pid > 0 && !isAlive(pid)) await unlink(join(dirname(path), name)).catch(() => {});
  }
}

async function releaseLock(path: string, ino: number): Promise<void> {
  try {
    // Someone may have judged our lock stale (e.g. after a 30 s stall) and replaced it: never remove theirs.
    if ((await stat(path)).ino !== ino) return;
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/**
 * Holders of this process, per lock path. Contenders of one process queue here instead of on the file: they would
 * all wake on the same backoff schedule and starve each other (the file lock cannot tell them apart by pid).
 */
const localQueues = new Map<string, Promise<void>>();

/** Runs `fn` while holding the lock; the lock is removed afterwards, also when `fn` throws. */
export async function withLock<T>(path: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const key = resolve(path);
  const previous = localQueues.get(key) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((resolve) => {
    done = resolve;
  });
  const tail = previous.then(() => mine);
  localQueues.set(key, tail);
  await previous;
  try {
    const lock = await acquireLock(path, options);
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  } finally {
    done();
    if (localQueues.get(key) === tail) localQueues.delete(key);
  }
}

export const taskStateLockMessage = (taskId: string) =>
  `Failed to acquire task state lock for ${taskId} after 5 attempts`;
export const metricsLockMessage = (taskId: string) => `Failed to acquire metrics lock for ${taskId} after 5 attempts`;
