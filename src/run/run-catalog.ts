import { readdir } from "node:fs/promises";
import { errorMessage } from "../core/errors.ts";
import { isRunId, taskIdProblem } from "../core/ids.ts";
import type { Manifest } from "../core/schemas/manifest.ts";
import { readActivity } from "./activity.ts";
import { loadManifest } from "./manifest-store.ts";
import { type RunFiles, type StoreRoots, runDir, runFiles } from "./paths.ts";

/** One run directory of the store, as `runs list`, `runs prune` and `status --latest` see it. */
export type CatalogRun = {
  taskId: string;
  runId: string;
  files: RunFiles;
  /** Null when the manifest cannot be read or is invalid (`problem` says why): listed, never pruned. */
  manifest: Manifest | null;
  problem: string | null;
  /** A run of a sub-pipeline stage: its parent lists it in `child_runs`. It goes with its parent. */
  child: boolean;
  /** Active (`queued`/`in_progress`) with a live owner or a fresh heartbeat. */
  active: boolean;
  stale: boolean;
};

async function dirNames(path: string): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name);
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Every run of the store (or of one task), oldest first within a task; run ids sort by their creation time. Only names
 * that can be task and run ids are read, so nothing else in the directory reaches a path.
 */
export async function listRuns(roots: StoreRoots, options: { task?: string | undefined } = {}): Promise<CatalogRun[]> {
  const tasks = options.task !== undefined ? [options.task] : (await dirNames(roots.runs)).filter((t) => taskIdProblem(t) === null).sort(byName);
  const runs: CatalogRun[] = [];
  for (const taskId of tasks) {
    const ids = (await dirNames(`${roots.runs}/${taskId}/cli`)).filter(isRunId).sort(byName);
    const loaded = await Promise.all(ids.map((runId) => loadRun(roots, taskId, runId)));
    const children = new Set(loaded.flatMap((r) => r.manifest?.child_runs.map((c) => c.run_id) ?? []));
    for (const run of loaded) run.child = children.has(run.runId);
    runs.push(...loaded);
  }
  return runs;
}

async function loadRun(roots: StoreRoots, taskId: string, runId: string): Promise<CatalogRun> {
  const files = runFiles(runDir(roots, taskId, runId));
  const run: CatalogRun = { taskId, runId, files, manifest: null, problem: null, child: false, active: false, stale: false };
  try {
    run.manifest = await loadManifest(files.manifest);
  } catch (error) {
    run.problem = errorMessage(error);
    return run;
  }
  const m = run.manifest;
  if (m.status === "queued" || m.status === "in_progress") {
    const activity = await readActivity(m, files.heartbeat);
    run.stale = activity.stale;
    run.active = !activity.stale;
  }
  return run;
}

/** The newest top-level run of a task (`status --latest`), or null when it has none. */
export async function latestRun(roots: StoreRoots, taskId: string): Promise<CatalogRun | null> {
  const runs = (await listRuns(roots, { task: taskId })).filter((r) => !r.child && r.manifest !== null);
  return runs.at(-1) ?? null;
}
