import { readFile, readdir } from "node:fs/promises";
import * as v from "valibot";
import { RunFailedError, UsageError, errorMessage } from "../core/errors.ts";
import { taskIdFromEnv, taskIdProblem, validateRunId } from "../core/ids.ts";
import { Manifest } from "../core/schemas/manifest.ts";
import { type RunFiles, type StoreRoots, runDir, runFiles } from "./paths.ts";

/** A run found on disk: its task, directory, files and the validated manifest. */
export type FoundRun = { taskId: string; runId: string; files: RunFiles; manifest: Manifest };

export type RunLookupOptions = {
  /** `--task`, already validated: only that task is searched. */
  task?: string | undefined;
  env: Record<string, string | undefined>;
};

function pointer(issue: v.BaseIssue<unknown>): string {
  const keys = (issue.path ?? []).map((p) => `/${String(p.key).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
  return keys === "" ? "(root)" : keys;
}

/** Reads and validates a manifest; anything unparsable is `Invalid manifest <abs path>: <problem>` (exit 1). */
export async function readManifestFile(path: string): Promise<Manifest> {
  const text = await readFile(path, "utf8");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new RunFailedError(`Invalid manifest ${path}: invalid JSON: ${errorMessage(error)}`);
  }
  const result = v.safeParse(Manifest, raw);
  if (!result.success) {
    const issue = result.issues[0];
    throw new RunFailedError(`Invalid manifest ${path}: ${pointer(issue)}: ${issue.message}`);
  }
  return result.output;
}

async function tryLoad(roots: StoreRoots, taskId: string, runId: string): Promise<FoundRun | null> {
  const files = runFiles(runDir(roots, taskId, runId));
  try {
    return { taskId, runId, files, manifest: await readManifestFile(files.manifest) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    if (error instanceof RunFailedError) throw error;
    throw new RunFailedError(`Invalid manifest ${files.manifest}: ${errorMessage(error)}`);
  }
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
  // Only names that can be task ids: a run id never reaches a path through anything else.
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
  return { ...run, manifest: await readManifestFile(run.files.manifest) };
}

