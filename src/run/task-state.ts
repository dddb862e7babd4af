import { readFile, readdir, rename } from "node:fs/promises";
import { join } from "node:path";
import * as v from "valibot";
import { errorMessage } from "../core/errors.ts";
import { RunSummary } from "../core/schemas/records.ts";
import { writeJsonAtomic } from "./atomic-write.ts";
import { LockBusyError, type LockOptions, withLock } from "../platform/file-lock.ts";
import { type StoreRoots, runFiles, taskStateLockPath, taskStatePath } from "./paths.ts";

export const taskStateLockMessage = (taskId: string) =>
  `Failed to acquire task state lock for ${taskId} after 5 attempts`;

/** Receives the messages of §17.2 (without the `[Codex-Orchestrator] ` prefix, which the CLI logger adds). */
export type StateLogger = { warn: (message: string) => void; error: (message: string) => void };

type Snapshot = { taskId: string; lastRunAt: string; runs: unknown[] };

class SnapshotError extends Error {}

async function loadSnapshot(path: string, taskId: string): Promise<Snapshot> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { taskId, lastRunAt: "", runs: [] };
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SnapshotError(`Corrupted snapshot at ${path}: ${errorMessage(error)}`);
  }
  const value = parsed as Partial<Snapshot> | null;
  if (typeof value !== "object" || value === null || value.taskId !== taskId || !Array.isArray(value.runs)) {
    throw new SnapshotError(`Invalid snapshot contents for task ${taskId}`);
  }
  // Older entries are kept as they are (never re-validated), so a hand-edited entry cannot block new runs.
  return { taskId, lastRunAt: typeof value.lastRunAt === "string" ? value.lastRunAt : "", runs: value.runs };
}

function timestampOf(run: unknown): string {
  const t = (run as { timestamp?: unknown } | null)?.timestamp;
  return typeof t === "string" ? t : "";
}

/** Merges one RunSummary into a snapshot: same runId replaced, sorted by timestamp (string order, stable). */
export function mergeRunSummary(snapshot: Snapshot, summary: RunSummary): Snapshot {
  const runs = snapshot.runs.filter((run) => (run as { runId?: unknown } | null)?.runId !== summary.runId);
  runs.push(summary);
  runs.sort((a, b) => {
    const ta = timestampOf(a);
    const tb = timestampOf(b);
    return ta < tb ? -1 : ta > tb ? 1 : 0;
  });
  return { taskId: snapshot.taskId, lastRunAt: timestampOf(runs[runs.length - 1]), runs };
}

export type TaskStateOptions = Omit<LockOptions, "busyMessage">;

/**
 * A snapshot rebuilt from the `run-summary.json` of every run directory of the task (issue 22): a corrupt state.json
 * must not poison every later run. Summaries that are not pipeline RunSummaries (exec runs keep their `run:summary`
 * event there) or do not parse are left out.
 */
async function rebuildSnapshot(roots: Pick<StoreRoots, "runs">, taskId: string): Promise<Snapshot> {
  const dir = join(roots.runs, taskId, "cli");
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  let snapshot: Snapshot = { taskId, lastRunAt: "", runs: [] };
  for (const name of names) {
    try {
      const parsed = v.safeParse(RunSummary, JSON.parse(await readFile(runFiles(join(dir, name)).runSummary, "utf8")));
      if (parsed.success && parsed.output.taskId === taskId) snapshot = mergeRunSummary(snapshot, parsed.output);
    } catch {
      // No summary (a run still in progress, or one that crashed) or an unreadable one: nothing to take from it.
    }
  }
  return snapshot;
}

/**
 * Records a pipeline run's RunSummary in `<out>/<task>/state.json` under `<runs>/<task>.lock` (SPEC §17.2). Never
 * throws: failures are reported through `logger` and `false` is returned; the run result is unaffected.
 */
export async function recordTaskState(
  roots: Pick<StoreRoots, "runs" | "out">,
  taskId: string,
  summary: RunSummary,
  logger: StateLogger,
  options: TaskStateOptions = {},
): Promise<boolean> {
  const runId = summary.runId;
  const path = taskStatePath(roots, taskId);
  try {
    await withLock(taskStateLockPath(roots, taskId), { ...options, busyMessage: taskStateLockMessage(taskId) }, async () => {
      let snapshot: Snapshot;
      try {
        snapshot = await loadSnapshot(path, taskId);
      } catch (error) {
        if (!(error instanceof SnapshotError)) throw error;
        // Kept beside it for inspection; the next runs start from the rebuilt one.
        const aside = `${path}.corrupt`;
        await rename(path, aside);
        snapshot = await rebuildSnapshot(roots, taskId);
        logger.warn(`${error.message}; rebuilt from ${snapshot.runs.length} run summaries (the corrupt file is kept as ${aside})`);
      }
      const merged = mergeRunSummary(snapshot, summary);
      await writeJsonAtomic(path, merged, { trailingNewline: false });
    });
    return true;
  } catch (error) {
    if (error instanceof LockBusyError) {
      logger.warn(`Task state snapshot skipped for task ${taskId} (run ${runId}): ${error.message}`);
      logger.warn(`Task state snapshot not recorded for task ${taskId} (run ${runId})`);
    } else {
      logger.error(`Task state snapshot failed for task ${taskId} (run ${runId}): ${errorMessage(error)}`);
    }
    return false;
  }
}
