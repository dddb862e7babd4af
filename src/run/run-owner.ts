import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * `<rundir>/.owner`: the pid of the process running the run, so `cancel` can signal it (SPEC §5.8 leaves the
 * mechanism open, §24.9). Written when a run starts or resumes, removed when it ends; a leftover from a crashed process
 * is harmless (`cancel` checks that the pid is alive and the heartbeat fresh).
 */
export const OWNER_FILE = ".owner";

export function writeRunOwner(runDir: string, pid: number = process.pid): void {
  try {
    writeFileSync(join(runDir, OWNER_FILE), `${pid}\n`);
  } catch {
    // Only `cancel` needs it; the run itself must not fail for it.
  }
}

export function removeRunOwner(runDir: string): void {
  rmSync(join(runDir, OWNER_FILE), { force: true });
}

/** The recorded pid, or null when there is none (or it is unreadable). */
export function readRunOwner(runDir: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(join(runDir, OWNER_FILE), "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
