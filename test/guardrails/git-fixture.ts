import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { scratchDir } from "../helpers/cli.ts";

/** Environment for git in fixtures: no inherited GIT_* variables, a fixed identity, no user/system config. */
export function gitEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("GIT_")) env[k] = v;
  return {
    ...env,
    GIT_AUTHOR_NAME: "Fixture",
    GIT_AUTHOR_EMAIL: "fixture@example.invalid",
    GIT_COMMITTER_NAME: "Fixture",
    GIT_COMMITTER_EMAIL: "fixture@example.invalid",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
  };
}

export function git(repo: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd: repo, env: gitEnv(), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** A fresh, empty git repository (branch `main`, no commits). */
export function emptyRepo(): string {
  const repo = scratchDir("co-guard-");
  git(repo, "init", "-q", "-b", "main");
  return repo;
}

export function writeFiles(repo: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), content);
  }
}

/** Writes the files, commits everything, returns the new commit's sha. */
export function commit(repo: string, files: Record<string, string>, message = "change"): string {
  writeFiles(repo, files);
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "--allow-empty", "-m", message);
  return git(repo, "rev-parse", "HEAD").trim();
}

/** A repository with an initial commit (README.md) and then one commit with `files`. */
export function repoWithChange(files: Record<string, string>): string {
  const repo = emptyRepo();
  commit(repo, { "README.md": "fixture\n" }, "initial");
  commit(repo, files, "change");
  return repo;
}

/** `YYYY-MM-DD` of `days` days before `now` (UTC). */
export function daysAgo(days: number, now: Date = new Date()): string {
  const date = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - days * 86_400_000);
  return date.toISOString().slice(0, 10);
}
