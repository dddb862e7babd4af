import { isAbsolute, join, resolve } from "node:path";

type Env = Record<string, string | undefined>;

/**
 * `<repo>` (SPEC §3.1): `CODEX_ORCHESTRATOR_ROOT` resolved against the cwd, else the cwd; no git or marker detection.
 * Kept local to the guardrails so spec-guard and review need nothing from the run store.
 */
export function repoRoot(env: Env = process.env, cwd: string = process.cwd()): string {
  const root = env.CODEX_ORCHESTRATOR_ROOT;
  return root === undefined || root === "" ? cwd : resolveAgainst(cwd, root);
}

/** `<runs>`: `CODEX_ORCHESTRATOR_RUNS_DIR` resolved against the cwd, else `<repo>/.runs`. */
export function runsRoot(env: Env = process.env, cwd: string = process.cwd()): string {
  const runs = env.CODEX_ORCHESTRATOR_RUNS_DIR;
  return runs === undefined || runs === "" ? join(repoRoot(env, cwd), ".runs") : resolveAgainst(cwd, runs);
}

function resolveAgainst(cwd: string, path: string): string {
  return isAbsolute(path) ? resolve(path) : resolve(cwd, path);
}
