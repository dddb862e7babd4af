import { runGit } from "./git.ts";

/**
 * Files changed on this branch (SPEC §5.6): `git diff --name-only <base>...HEAD`; when that fails or is empty, the last
 * commit (`HEAD~1..HEAD`); when that fails too, none. `-z` keeps non-ASCII names unquoted so prefixes still match.
 */
export function changedFiles(repo: string, baseSha: string): string[] {
  const sinceBase = runGit(["diff", "--name-only", "-z", `${baseSha}...HEAD`], repo);
  const files = sinceBase.ok ? splitNames(sinceBase.stdout) : [];
  if (files.length > 0) return files;
  const lastCommit = runGit(["diff", "--name-only", "-z", "HEAD~1..HEAD"], repo);
  return lastCommit.ok ? splitNames(lastCommit.stdout) : [];
}

function splitNames(output: string): string[] {
  return output.split("\0").filter((name) => name !== "");
}

const CODE_PREFIXES = ["src/", "app/", "server/", "migrations/", "db/migrations/", "prisma/migrations/"];

export const CODE_WITHOUT_SPEC_MESSAGE = "code/migrations changed but no spec updated under tasks/specs or tasks/index.json";

/** Check 1: code or migrations changed, but neither `tasks/specs/` nor `tasks/index.json` did. */
export function codeChangedWithoutSpec(files: readonly string[]): boolean {
  const codeChanged = files.some((file) => CODE_PREFIXES.some((prefix) => file.startsWith(prefix)));
  const specChanged = files.some((file) => file.startsWith("tasks/specs/") || file === "tasks/index.json");
  return codeChanged && !specChanged;
}
