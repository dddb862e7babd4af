/**
 * How long a lock file without a complete `<pid>\n` may belong to a holder still writing it. A holder writes its pid
 * right after creating the file (two syscalls apart); one killed in between left an empty lock that was judged only by
 * age (30 s), so every run of the task meanwhile failed to record its metrics line (found by the kill -9 torture
 * test). Below the ~1.5 s that an acquisition of the run store's locks waits in all, so a waiting run gets the lock.
 */
export const INCOMPLETE_LOCK_STALE_MS = 1000;

/**
 * Whether a lock file may be broken, from what it holds and its age: older than `staleAfterMs` whatever it says; a
 * complete `<pid>\n` line is stale when that process is gone; an empty or partial file (its holder may still be
 * writing the pid — a partial pid could name another process) only once it is older than INCOMPLETE_LOCK_STALE_MS.
 * The one rule of every lock file the CLI takes (run store, approval cache).
 */
export function lockIsStale(content: string, ageMs: number, staleAfterMs: number, isAlive: (pid: number) => boolean): boolean {
  if (ageMs > staleAfterMs) return true;
  const match = /^(\d+)\n$/.exec(content);
  if (match === null) return ageMs > INCOMPLETE_LOCK_STALE_MS;
  const pid = Number(match[1]);
  return pid > 0 && !isAlive(pid);
}
