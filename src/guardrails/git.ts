import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export type GitResult = { ok: boolean; stdout: string; detail: string };

/**
 * Runs `git <args>` in `cwd` and captures its output. Never throws: a failure comes back with `ok: false` and a
 * one-line `detail` (git's first stderr line, or why git could not start) for the caller's error message.
 */
export function runGit(args: readonly string[], cwd: string): GitResult {
  // spawnSync reports a missing cwd as ENOENT, which would read as "git not found"; say what is really missing.
  if (!existsSync(cwd)) return { ok: false, stdout: "", detail: `directory not found: ${cwd}` };
  const result = spawnSync("git", args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error !== undefined) {
    const code = (result.error as NodeJS.ErrnoException).code;
    const detail = code === "ENOENT" ? "git not found on PATH" : `git could not run: ${result.error.message}`;
    return { ok: false, stdout: "", detail };
  }
  const stdout = result.stdout ?? "";
  if (result.status === 0) return { ok: true, stdout, detail: "" };
  const firstLine = (result.stderr ?? "")
    .split("\n")
    .map((line) => line.trim())
    .find((line) => line !== "");
  const how = result.status === null ? `killed by ${result.signal}` : `exited with code ${result.status}`;
  return { ok: false, stdout, detail: firstLine ?? `git ${args[0] ?? ""} ${how}` };
}
