/**
 * What the tests see of live processes, from Linux /proc (issue 16: these scans were written out in six test files).
 * Zombies count as gone: an init may reap orphans late, and a zombie runs nothing.
 */
import { readFileSync, readdirSync } from "node:fs";

export type ProcStat = { state: string; ppid: number; pgrp: number };

/** The pids under /proc now. */
export function pids(): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) if (/^\d+$/.test(name)) out.push(Number(name));
  return out;
}

/** State, parent and process group of `pid`, or null when it is gone. */
export function procStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "latin1");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] as string, ppid: Number(fields[1]), pgrp: Number(fields[2]) };
  } catch {
    return null;
  }
}

/** The command line of `pid`, its arguments joined by spaces; null when it is gone. */
export function cmdline(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").filter(Boolean).join(" ");
  } catch {
    return null;
  }
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const s = procStat(pid);
  return s !== null && s.state !== "Z";
}

/** True while a non-zombie member of the process group exists. */
export function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (process.platform !== "linux") return true;
  return pids().some((pid) => {
    const s = procStat(pid);
    return s !== null && s.pgrp === pgid && s.state !== "Z";
  });
}

/** The states (R, S, T, Z, …) of a process group's members. */
export function groupStates(pgid: number): string[] {
  const states: string[] = [];
  for (const pid of pids()) {
    const s = procStat(pid);
    if (s !== null && s.pgrp === pgid) states.push(s.state);
  }
  return states;
}

/** Every live process whose ancestry leads to `pid`. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const p of pids()) {
    const s = procStat(p);
    if (s !== null && s.state !== "Z") parents.set(p, s.ppid);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const current = queue.shift() as number;
    for (const [child, parent] of parents) {
      if (parent === current) {
        out.push(child);
        queue.push(child);
      }
    }
  }
  return out;
}

/** Process groups of `pids` (to kill a stage's whole group). */
export function groupsOf(list: number[]): number[] {
  return [...new Set(list.map((p) => procStat(p)?.pgrp).filter((g): g is number => g !== undefined && g > 1))];
}

/** Live processes whose command line matches: equal to a string, or passing a predicate. */
export function liveProcesses(match: string | ((cmdline: string) => boolean)): number[] {
  const test = typeof match === "string" ? (c: string) => c === match : match;
  return pids().filter((pid) => {
    const cmd = cmdline(pid);
    return cmd !== null && test(cmd) && isAlive(pid);
  });
}

/**
 * The kernel function `pid` sleeps in (/proc/<pid>/wchan), e.g. `pipe_write` or `anon_pipe_write` for a writer blocked
 * on a full pipe; null when the process is gone or the kernel hides it ("0").
 */
export function wchan(pid: number): string | null {
  try {
    const text = readFileSync(`/proc/${pid}/wchan`, "latin1").trim();
    return text === "" || text === "0" ? null : text;
  } catch {
    return null;
  }
}

/**
 * True while `pid` sleeps in the kernel waiting for room to write: on a full pipe (`pipe_write`, `anon_pipe_write`) or
 * a full Unix socket (`sock_alloc_send_pskb`; Bun gives a child's stdout and stderr socket pairs).
 */
export function blockedWriting(pid: number): boolean {
  return /pipe_write|sock_alloc_send|unix_stream_sendmsg|sk_stream_wait_memory/.test(wchan(pid) ?? "");
}

/** Live processes whose environment holds `name=value`, except `exclude` and this process. */
export function processesWithEnv(name: string, value: string, exclude: readonly number[] = []): number[] {
  const needle = `\0${name}=${value}\0`;
  return pids().filter((pid) => {
    if (pid === process.pid || exclude.includes(pid) || !isAlive(pid)) return false;
    try {
      return `\0${readFileSync(`/proc/${pid}/environ`, "latin1")}\0`.includes(needle);
    } catch {
      return false; // gone meanwhile, or not ours to read
    }
  });
}

/** `<pid>: <command line>` of each of `list` (`(gone)` for one that ended), for failure messages. */
export function commandLines(list: readonly number[]): string[] {
  return list.map((pid) => `${pid}: ${cmdline(pid) ?? "(gone)"}`);
}
