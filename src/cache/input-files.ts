import { globSync, readFileSync, statSync } from "node:fs";
import { join, sep } from "node:path";
import { sha256Of } from "../core/sha256.ts";

/**
 * The regular files under `cwd` matching any of `patterns` (globs relative to `cwd`), as sorted POSIX paths relative
 * to it. Directories matched by a pattern are not descended into (write `dir/**` for that); a symlink counts as the
 * file it points to. The config refuses patterns that are absolute or contain `..`, so every match stays under `cwd`.
 */
export function matchFiles(cwd: string, patterns: readonly string[]): string[] {
  if (patterns.length === 0) return [];
  let found: string[];
  try {
    found = globSync([...patterns], { cwd });
  } catch (error) {
    // A cwd that does not exist matches nothing; the stage itself then fails with its own message.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const files = new Set<string>();
  for (const path of found) {
    const posix = sep === "/" ? path : path.split(sep).join("/");
    if (posix.split("/").includes("..")) continue;
    try {
      if (statSync(join(cwd, path)).isFile()) files.add(posix);
    } catch {
      // A dangling symlink, or a file removed since the glob: not an input.
    }
  }
  return [...files].sort();
}

/** Path (relative to `cwd`) → digest of its content, for every file the patterns match. */
export function digestFiles(cwd: string, patterns: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const path of matchFiles(cwd, patterns)) out[path] = sha256Of(readFileSync(join(cwd, path)));
  return out;
}
