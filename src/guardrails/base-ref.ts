import { OrchestratorError } from "../core/errors.ts";
import { runGit } from "./git.ts";

/** Where the spec guard's base revision came from. */
export type BaseSource = "BASE_SHA" | "origin/main" | "root-commit";
export type BaseRef = { ref: string; sha: string; source: BaseSource };

/** No base revision could be resolved (not a work tree, no commits, no git): exit 128 even with --dry-run (§5.6). */
export class SpecGuardBaseError extends OrchestratorError {
  constructor(detail: string) {
    super(`Spec guard failed: unable to resolve a base commit (${detail})`, 128);
  }
}

/**
 * The base of the comparison (SPEC §5.6): `$BASE_SHA` if set, else `origin/main`; when that does not verify as a
 * commit, the root commit of `HEAD` (the last one `git rev-list --max-parents=0` lists).
 */
export function resolveBase(repo: string, env: Record<string, string | undefined> = process.env): BaseRef {
  const inside = runGit(["rev-parse", "--is-inside-work-tree"], repo);
  if (!inside.ok) throw new SpecGuardBaseError(inside.detail);
  if (inside.stdout.trim() !== "true") throw new SpecGuardBaseError(`not inside a git work tree: ${repo}`);

  const fromEnv = env.BASE_SHA;
  const candidate = fromEnv !== undefined && fromEnv !== "" ? fromEnv : "origin/main";
  // --end-of-options keeps a BASE_SHA that starts with '-' from being read as an option.
  const verified = runGit(["rev-parse", "--verify", "--quiet", "--end-of-options", `${candidate}^{commit}`], repo);
  const sha = verified.stdout.trim();
  if (verified.ok && sha !== "") {
    return { ref: candidate, sha, source: candidate === fromEnv ? "BASE_SHA" : "origin/main" };
  }

  const roots = runGit(["rev-list", "--max-parents=0", "HEAD"], repo);
  if (!roots.ok) throw new SpecGuardBaseError(roots.detail);
  const root = roots.stdout
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .at(-1);
  if (root === undefined) throw new SpecGuardBaseError("HEAD has no root commit");
  return { ref: root, sha: root, source: "root-commit" };
}
