import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { stageFileStem, taskIdFromEnv, validateTaskId } from "../core/ids.ts";

/** The three roots of SPEC §3.1: `<repo>` (read from), `<runs>` and `<out>` (written to). Absolute paths. */
export type StoreRoots = { repo: string; runs: string; out: string };

/** Effects the path rules depend on, passed in so that tests need not touch the real process. */
export type PathEffects = { env: Record<string, string | undefined>; cwd: string };

function fromEnv(value: string | undefined, cwd: string): string | null {
  if (value === undefined || value === "") return null;
  return isAbsolute(value) ? resolve(value) : resolve(cwd, value);
}

/** `CODEX_ORCHESTRATOR_ROOT` / `_RUNS_DIR` / `_OUT_DIR`; relative values resolve against the cwd (not the repo). */
export function resolveStoreRoots({ env, cwd }: PathEffects): StoreRoots {
  const repo = fromEnv(env.CODEX_ORCHESTRATOR_ROOT, cwd) ?? resolve(cwd);
  return {
    repo,
    runs: fromEnv(env.CODEX_ORCHESTRATOR_RUNS_DIR, cwd) ?? join(repo, ".runs"),
    out: fromEnv(env.CODEX_ORCHESTRATOR_OUT_DIR, cwd) ?? join(repo, "out"),
  };
}

/** Effective task id: `--task` override, else `MCP_RUNNER_TASK_ID`, else `0101`; validated (exit 2 on bad input). */
export function effectiveTaskId(override: string | undefined, env: Record<string, string | undefined>): string {
  if (override !== undefined) return validateTaskId(override, "--task");
  return taskIdFromEnv(env);
}

/** rel(p): `p` relative to `<repo>` with POSIX separators; may start with `../`. */
export function rel(roots: Pick<StoreRoots, "repo">, p: string): string {
  const r = relative(roots.repo, resolve(p));
  return sep === "/" ? r : r.split(sep).join("/");
}

/** `<runs>/<task>/cli/<run>`. Ids must have been validated before (SPEC §3.2, §3.3). */
export function runDir(roots: Pick<StoreRoots, "runs">, taskId: string, runId: string): string {
  return join(roots.runs, taskId, "cli", runId);
}

/** The files of one run directory (SPEC §7.1). */
export type RunFiles = {
  dir: string;
  manifest: string;
  heartbeat: string;
  resumeToken: string;
  /** Held by the one process resuming the run (issue 22.5). */
  resumeLock: string;
  runnerLog: string;
  commandsDir: string;
  errorsDir: string;
  runSummary: string;
};

export function runFiles(dir: string): RunFiles {
  return {
    dir,
    manifest: join(dir, "manifest.json"),
    heartbeat: join(dir, ".heartbeat"),
    resumeToken: join(dir, ".resume-token"),
    resumeLock: join(dir, ".resume.lock"),
    runnerLog: join(dir, "runner.ndjson"),
    commandsDir: join(dir, "commands"),
    errorsDir: join(dir, "errors"),
    runSummary: join(dir, "run-summary.json"),
  };
}

/** `<rundir>/commands/NN-<slug>.ndjson` of stage `index` (1-based). */
export function commandLogPath(dir: string, index: number, stageId: string): string {
  return join(dir, "commands", `${stageFileStem(index, stageId)}.ndjson`);
}

/** `<rundir>/errors/NN-<slug>.json` of stage `index` (1-based). */
export function errorFilePath(dir: string, index: number, stageId: string): string {
  return join(dir, "errors", `${stageFileStem(index, stageId)}.json`);
}

/** `<runs>/<task>/metrics.json` and its lock. */
export function metricsPath(roots: Pick<StoreRoots, "runs">, taskId: string): string {
  return join(roots.runs, taskId, "metrics.json");
}
export function metricsLockPath(roots: Pick<StoreRoots, "runs">, taskId: string): string {
  return join(roots.runs, taskId, "metrics.json.lock");
}

/** `<out>/<task>/state.json` and its lock `<runs>/<task>.lock` (the lock lives under `<runs>`, SPEC §7.1). */
export function taskStatePath(roots: Pick<StoreRoots, "out">, taskId: string): string {
  return join(roots.out, taskId, "state.json");
}
export function taskStateLockPath(roots: Pick<StoreRoots, "runs">, taskId: string): string {
  return join(roots.runs, `${taskId}.lock`);
}
