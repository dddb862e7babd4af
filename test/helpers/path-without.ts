import { mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { delimiter, join } from "node:path";
import { scratchDir } from "./cli.ts";

/**
 * A PATH with every program of `path` except `programs` (one scratch directory of symlinks), so a test proves what
 * happens where, say, bubblewrap is not installed even on a machine that has it. The first program of a name wins,
 * as on PATH.
 */
export function pathWithout(programs: readonly string[], path: string = process.env.PATH ?? ""): string {
  const dir = join(scratchDir("co-path-"), "bin");
  mkdirSync(dir);
  const seen = new Set(programs);
  for (const entry of path.split(delimiter)) {
    if (entry === "") continue;
    let names: string[];
    try {
      names = readdirSync(entry);
    } catch {
      continue;
    }
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      symlinkSync(join(entry, name), join(dir, name));
    }
  }
  return dir;
}
