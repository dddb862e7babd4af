import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Names of the regular files directly in `dir` that `keep` accepts, sorted; none when `dir` cannot be read. */
export function regularFiles(dir: string, keep: (name: string) => boolean): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter(keep)
    .filter((name) => {
      try {
        return statSync(join(dir, name)).isFile();
      } catch {
        return false;
      }
    })
    .sort();
}
