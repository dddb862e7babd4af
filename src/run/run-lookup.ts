import { access, readdir } from "node:fs/promises";
import { UsageError } from "../core/errors.ts";
import { taskIdFromEnv, taskIdProblem, validateRunId } from "../core/ids.ts";
import type { Manifest } from "../core/schemas/manifest.ts";
import { loadManifest } from "./manifest-store.ts";
import { type RunFiles, type StoreRoots, runDir, runFiles } from "./paths.ts";

/** A run found on disk: its task, directory, files and the validated manifest. */
export type FoundRun = { taskId: string; runId: string; files: RunFiles; manifest: Manifest };

export type RunLookupOptions = {
  /** `--task`, already validated: only that task is searched. */
  task?: string | undefined;
  env: Record<string, string | undefined>;
};

async function tryLoad(roots: StoreRoots, taskId: string, runId: string): Promise<FoundRun | null> {
  const files = runFiles(runDir(roots, taskId, runId));
  try {
    await access(files.manifest);
  } catch {
    return null;
  }
  // Present but unreadable or invalid: `Invalid manifest <abs path>: <problem>` (exit 1).
  return { taskId, runId, files, manifest: await loadManifest(files.manifest) };
}

/**
 * Run lookup of `status` and `resume` (SPEC §5.3): the id is validated before any path is built; with `--task` only
 * that task; else the environment task first, then every task directory of `<runs>` in lexicographic order.
 */
export async function findRun(roots: StoreRoots, runIdInput: string, options: RunLookupOptions): Promise<FoundRun> {
  const runId = validateRunId(runIdInput);
  if (options.task !== undefined) {
    const found = await tryLoad(roots, options.task, runId);
    if (found !== null) return found;
    const path = runFiles(runDir(roots, options.task, runId)).manifest;
    throw new UsageError(`Run '${runId}' not found for task '${options.task}' (${path}).`);
  }
  const envTask = taskIdFromEnv(options.env);
  const first = await tryLoad(roots, envTask, runId);
  if (first !== null) return first;
  const entries = await readdir(roots.runs, { withFileTypes: true }).catch(() => []);
  // Only names that can be task ids: nothing else ever reaches a path.
  const tasks = entries
    .filter((e) => e.isDirectory() && e.name !== envTask && taskIdProblem(e.name) === null)
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const taskId of tasks) {
    const found = await tryLoad(roots, taskId, runId);
    if (found !== null) return found;
  }
  throw new UsageError(`Run '${runId}' not found under ${roots.runs}.`);
}

/** Re-reads the manifest of a run found before (used by `status --watch`). */
export async function reloadRun(run: FoundRun): Promise<FoundRun> {
  return { ...run, manifest: await loadManifest(run.files.manifest) };
}
