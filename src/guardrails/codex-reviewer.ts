import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { delimiter, join } from "node:path";

/**
 * The `codex` executable on `PATH` whose `codex --help` stdout contains ` review` (SPEC §5.7 step 2), or null: the
 * local hand-off is used when there is no codex, it cannot run, or it has no review command.
 */
export function findCodexReviewer(env: Record<string, string | undefined> = process.env): string | null {
  const codex = whichExecutable("codex", env.PATH ?? "");
  if (codex === null) return null;
  const help = spawnSync(codex, ["--help"], {
    encoding: "utf8",
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "ignore"],
    timeout: 15_000,
  });
  if (help.error !== undefined || typeof help.stdout !== "string") return null;
  return help.stdout.includes(" review") ? codex : null;
}

/** Runs `codex review <manifest>` with inherited stdio; resolves with its exit code (128+n when killed by signal n). */
export function launchCodexReview(
  codex: string,
  manifestAbsPath: string,
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(codex, ["review", manifestAbsPath], { stdio: "inherit", env: env as NodeJS.ProcessEnv });
    child.once("error", reject);
    child.once("close", (code, signal) => {
      if (code !== null) resolve(code);
      else resolve(128 + (signal === null ? 0 : (osConstants.signals[signal] ?? 0)));
    });
  });
}

/** First executable regular file named `name` in the `PATH` entries (empty entries are skipped). */
function whichExecutable(name: string, path: string): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}
