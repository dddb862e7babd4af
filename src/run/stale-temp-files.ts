import { readdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { pidIsAlive } from "../platform/pid.ts";

/** `.<name>.<pid>.<8 hex>.tmp`: the temporary file of an atomic write by process `pid`. */
const TEMP_FILE = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/**
 * Removes temporary files of atomic writes left in `dir` by processes that are gone (a `kill -9` during a save leaves
 * one). Files of live processes are left alone: their write may be in progress. Returns the names removed.
 */
export function removeStaleTempFiles(dir: string, isAlive: (pid: number) => boolean = pidIsAlive): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = TEMP_FILE.exec(name);
    if (match === null || isAlive(Number(match[1]))) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(name);
    } catch {
      // Gone already, or not ours to remove: nothing depends on it.
    }
  }
  return removed;
}
