/**
 * Signals a child's whole process group (the child is spawned as a group/session leader, so pgid = pid). Used for
 * cancellation and timeouts: the first signal goes to every member, SIGKILL follows after the grace period if any
 * member remains, so no process of the group survives (SPEC §13).
 */

import { readdirSync, readFileSync } from "node:fs";
import { orphanGuard } from "./orphan-guard.ts";

const POLL_MS = 25;
/** After SIGKILL, how long to wait for members to vanish (zombies under a non-reaping init never do). */
const AFTER_KILL_MS = 1000;

export class ProcessGroup {
  private killTimer: ReturnType<typeof setTimeout> | null = null;
  private killed = false;
  /** The first termination signal sent, if any. */
  stoppingWith: NodeJS.Signals | null = null;

  /** Registers the group with the orphan guard: it dies with this process if this process is killed (kill -9). */
  constructor(readonly pgid: number) {
    orphanGuard.register(pgid);
  }

  /** Sends a signal to every member; false when the group no longer exists. */
  signal(sig: NodeJS.Signals | 0): boolean {
    try {
      process.kill(-this.pgid, sig);
      return true;
    } catch {
      return false;
    }
  }

  /** True while a member runs. Zombies do not count: an init that reaps slowly must not hold up the attempt. */
  alive(): boolean {
    if (!this.signal(0)) return false;
    return process.platform === "linux" ? hasLiveMember(this.pgid) : true;
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
    orphanGuard.unregister(this.pgid);
    if (this.stoppingWith === null) return;
    while (!this.killed && this.alive()) await Bun.sleep(POLL_MS);
    if (this.killTimer !== null) clearTimeout(this.killTimer);
    this.killTimer = null;
    const until = performance.now() + AFTER_KILL_MS;
    while (this.killed && this.alive() && performance.now() < until) await Bun.sleep(POLL_MS);
  }
}

/** Scans /proc for a non-zombie process whose process group is `pgid`. */
function hasLiveMember(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return true;
  }
  for (const name of entries) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "latin1");
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so parse after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z") return true;
  }
  return false;
}
