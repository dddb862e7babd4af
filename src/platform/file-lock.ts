/**
 * The one lock-file primitive (issue 16): an exclusive `<pid>\n` file with stale recovery, used by the run store
 * (task state, metrics) and the approval cache alike. Staleness is `lockIsStale` (src/core/lock-staleness.ts).
 */
import { closeSync, fstatSync, openSync, statSync, unlinkSync, writeSync } from "node:fs";
import { mkdir, open, readFile, stat, unlink } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { RunFailedError } from "../core/errors.ts";
import { lockIsStale } from "../core/lock-staleness.ts";
import { pidIsAlive } from "./pid.ts";

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

/** A held lock; `release()` removes the file (only if it is still ours). */
export type HeldLock = { path: string; release: () => Promise<void> };

/**
 * Acquires an exclusive lock file holding `<pid>\n`. A stale lock (dead pid, mtime older than 30 s, or no complete pid
 * line after 1 s: `lockIsStale`) is removed and creation retried at once without counting an attempt; it is
 * re-read just before removal so that a lock replaced meanwhile by a live holder is left alone (SPEC §24.10).
 */
export async function acquireLock(path: string, options: LockOptions): Promise<HeldLock> {
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_MS;
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const isAlive = options.isAlive ?? pidIsAlive;
  const pid = options.pid ?? process.pid;
  // A free lock is taken with four synchronous calls of a few microseconds; a round trip to the thread pool each
  // cost more than that (issue 21: the metrics line of every run takes this lock). A held one, or a missing
  // directory, goes the asynchronous way below.
  const quick = createLockSync(path, pid);
  if (quick !== null) return quick;
  await mkdir(dirname(path), { recursive: true });

  let failed = 0;
  let staleBreaks = 0;
  for (;;) {
    try {
      const handle = await open(path, "wx", 0o644);
      let ino: number;
      try {
        await handle.write(`${pid}\n`);
        ino = (await handle.stat()).ino;
      } finally {
        await handle.close();
      }
      return { path, release: async () => releaseLock(path, ino) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const seen = await observe(path);
    if (seen === null) continue; // released between our open and our read: retry at once
    if (staleBreaks < MAX_STALE_BREAKS && lockIsStale(seen.content, now() - seen.mtimeMs, staleAfterMs, isAlive)) {
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

/** The lock file created exclusively in one go, or null when it exists or its directory does not. */
function createLockSync(path: string, pid: number): HeldLock | null {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST" || code === "ENOENT") return null;
    throw error;
  }
  let ino: number;
  try {
    writeSync(fd, `${pid}\n`);
    ino = fstatSync(fd).ino;
  } catch (error) {
    closeSync(fd);
    try {
      unlinkSync(path);
    } catch {}
    throw error;
  }
  closeSync(fd);
  return { path, release: async () => releaseLock(path, ino) };
}

function releaseLock(path: string, ino: number): void {
  try {
    // Someone may have judged our lock stale (e.g. after a 30 s stall) and replaced it: never remove theirs.
    if (statSync(path).ino !== ino) return;
    unlinkSync(path);
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
