import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { CommandEntry, Manifest } from "../core/schemas/manifest.ts";
import type { StoreRoots } from "../run/paths.ts";

/** How many lines of the failed stage's stderr the text result shows. */
export const FAILURE_STDERR_LINES = 10;
/** Sub-pipelines are followed this deep at most (a guard against a manifest that names itself). */
const MAX_DEPTH = 16;

/** What the text result of a failed run says about the stage that failed it (issue 22.8). */
export type FailureReport = {
  /** Stage titles from the run's own failed stage down to the failed command stage of a child run. */
  stages: string[];
  /** The failed stage's `exit_code` (null for a sub-pipeline that could not start). */
  exitCode: number | null;
  /** The stage summary up to the stderr excerpt (`Exited with code 3`, `Command timed out after 2s`, a hint, …). */
  reason: string | null;
  /** The first lines of the stderr kept in the error artifact. */
  stderr: string[];
  /** Lines of that stderr after the ones shown. */
  moreStderrLines: number;
  /** rel(error artifact), when one was written. */
  errorFile: string | null;
};

/**
 * The failed stage of a finished run: the first `failed` entry; a failed sub-pipeline stage is followed into its
 * child run's manifest. Null when no entry failed (e.g. a run that failed to record itself). Unreadable files only
 * make the report shorter.
 */
export async function describeFailure(roots: Pick<StoreRoots, "repo">, manifest: Manifest, depth = 0): Promise<FailureReport | null> {
  const entry = manifest.commands.find((c) => c.status === "failed");
  if (entry === undefined) return null;
  if (entry.kind === "subpipeline" && entry.sub_run_id !== null && depth < MAX_DEPTH) {
    const child = manifest.child_runs.find((c) => c.run_id === entry.sub_run_id);
    const childManifest = child === undefined ? null : await readJson<Manifest>(join(roots.repo, child.manifest));
    const inner = childManifest === null ? null : await describeFailure(roots, childManifest, depth + 1);
    if (inner !== null) return { ...inner, stages: [entry.title, ...inner.stages] };
  }
  return ownFailure(roots, entry);
}

async function ownFailure(roots: Pick<StoreRoots, "repo">, entry: CommandEntry): Promise<FailureReport> {
  const artifact = entry.error_file === null ? null : await readJson<{ details?: { stderr?: unknown } }>(join(roots.repo, entry.error_file));
  const stderrText = typeof artifact?.details?.stderr === "string" ? artifact.details.stderr.trim() : "";
  const lines = stderrText === "" ? [] : stderrText.split("\n").map((l) => l.trimEnd());
  const reason = entry.summary === null ? null : ((entry.summary.split(" — ")[0] ?? "").split("\n")[0] ?? "").trim();
  return {
    stages: [entry.title],
    exitCode: entry.exit_code,
    reason: reason === "" ? null : reason,
    stderr: lines.slice(0, FAILURE_STDERR_LINES),
    moreStderrLines: Math.max(0, lines.length - FAILURE_STDERR_LINES),
    errorFile: entry.error_file,
  };
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch {
    return null;
  }
}
