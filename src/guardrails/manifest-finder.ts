import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * The newest run manifest under `<runs>` (SPEC §5.7): `<runs>/<T>/cli/<R>/manifest.json` over every task directory
 * `T` (only `task` when given); a `T` without `cli/` (older stores) contributes `<runs>/<T>/<R>/manifest.json`.
 * Newest by mtime, an unreadable mtime counting as 0. Null when there is none.
 */
export function findLatestManifest(runs: string, task?: string): string | null {
  let best: { path: string; mtime: number } | null = null;
  const tasks = task === undefined ? subdirectories(runs) : [task];
  for (const t of tasks) {
    const taskDir = join(runs, t);
    const cliDir = join(taskDir, "cli");
    const runsDir = isDirectory(cliDir) ? cliDir : taskDir;
    for (const r of subdirectories(runsDir)) {
      const path = join(runsDir, r, "manifest.json");
      const mtime = manifestMtime(path);
      if (mtime === null) continue;
      if (best === null || mtime > best.mtime) best = { path, mtime };
    }
  }
  return best?.path ?? null;
}

/** mtime in ms; 0 when it exists but cannot be read; null when there is no such file. */
function manifestMtime(path: string): number | null {
  try {
    const stat = statSync(path);
    return stat.isFile() ? stat.mtimeMs : null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR" ? null : 0;
  }
}

function subdirectories(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
