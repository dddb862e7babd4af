/**
 * Signals a child's whole process group (the child is spawned as a group/session leader, so pgid = pid). Used for
 * cancellation and timeouts: the first signal goes to every member, SIGKILL follows after the grace period if any
 * member remains, so no process of the group survives (SPEC §13).
 */

const POLL_MS = 25;
/** After SIGKILL, how long to wait for members to vanish (zombies under a non-reaping init never do). */
const AFTER_KILL_MS = 1000;

export class ProcessGroup {
  private killTimer: ReturnType<typeof setTimeout> | null = null;
  private killed = false;
  /** The first termination signal sent, if any. */
  stoppingWith: NodeJS.Signals | null = null;

  constructor(readonly pgid: number) {}

  /** Sends a signal to every member; false when the group no longer exists. */
  signal(sig: NodeJS.Signals | 0): boolean {
    try {
      process.kill(-this.pgid, sig);
      return true;
    } catch {
      return false;
    }
  }

  alive(): boolean {
    return this.signal(0);
  }

  /** Sends `sig` (and SIGCONT, in case the group is stopped), and arms SIGKILL after `graceMs`. */
  terminate(sig: NodeJS.Signals, graceMs: number): void {
    this.signal(sig);
    this.signal("SIGCONT");
    if (this.stoppingWith !== null) return;
    this.stoppingWith = sig;
    this.killTimer = setTimeout(() => this.kill(), graceMs);
  }

  private kill(): void {
    this.killTimer = null;
    this.killed = true;
    this.signal("SIGKILL");
  }

  /**
   * After the leader is gone: when a termination was requested, waits until no member remains (SIGKILL at the end
   * of the grace period); otherwise returns at once and leaves the group alone.
   */
  async settle(): Promise<void> {
    if (this.stoppingWith === null) return;
    while (!this.killed && this.alive()) await Bun.sleep(POLL_MS);
    if (this.killTimer !== null) clearTimeout(this.killTimer);
    this.killTimer = null;
    const until = performance.now() + AFTER_KILL_MS;
    while (this.killed && this.alive() && performance.now() < until) await Bun.sleep(POLL_MS);
  }
}
