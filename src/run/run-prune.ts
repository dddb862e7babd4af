import { rm, stat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { type HeldLock, LockBusyError } from "../platform/file-lock.ts";
import { loadManifest } from "./manifest-store.ts";
import type { StoreRoots } from "./paths.ts";
import { lockRun } from "./run-lock.ts";
import { type CatalogRun, listRuns } from "./run-catalog.ts";

export type PruneRule = { keep?: number | undefined; olderThanMs?: number | undefined };

export type PruneResult = {
  /** Removed (or, with `dryRun`, to be removed): top-level runs with their child runs. */
  removed: { taskId: string; runId: string; bytes: number; children: number }[];
  /** Runs the rule selected but that were left alone, and why (active, stale, being resumed, unreadable). */
  kept: { taskId: string; runId: string; reason: string }[];
  bytes: number;
};

const FINISHED = new Set(["succeeded", "failed", "cancelled"]);

async function sizeOf(path: string): Promise<number> {
  const info = await stat(path).catch(() => null);
  if (info === null) return 0;
  if (!info.isDirectory()) return info.size;
  const entries = await readdir(path).catch(() => []);
  let total = 0;
  for (const name of entries) total += await sizeOf(join(path, name));
  return total;
}

/**
 * `runs prune` (issue 22.12): removes the directories of finished top-level runs — with their child runs — that the
 * rule selects: all but the newest `keep` of each task, and/or those that started more than `olderThanMs` ago. An
 * active or stale run is never removed (close it with `cancel` first), nor one being resumed (its resume lock is
 * taken while it is removed). `metrics.json` and `state.json` keep their lines: they are the task's history.
 */
export async function pruneRuns(
  roots: StoreRoots,
  rule: PruneRule,
  options: { task?: string | undefined; dryRun: boolean; now?: number },
): Promise<PruneResult> {
  const now = options.now ?? Date.now();
  const all = await listRuns(roots, { task: options.task });
  const result: PruneResult = { removed: [], kept: [], bytes: 0 };
  const tasks = [...new Set(all.map((r) => r.taskId))];
  for (const taskId of tasks) {
    const runs = all.filter((r) => r.taskId === taskId);
    const byId = new Map(runs.map((r) => [r.runId, r]));
    const top = runs.filter((r) => !r.child);
    const protectedIds = new Set(rule.keep === undefined ? [] : top.slice(Math.max(0, top.length - rule.keep)).map((r) => r.runId));
    for (const run of top) {
      if (protectedIds.has(run.runId)) continue;
      if (rule.olderThanMs !== undefined && !startedBefore(run, now - rule.olderThanMs)) continue;
      const refusal = await pruneOne(run, byId, options.dryRun, result);
      if (refusal !== null) result.kept.push({ taskId, runId: run.runId, reason: refusal });
    }
  }
  return result;
}

function startedBefore(run: CatalogRun, limitMs: number): boolean {
  const started = Date.parse(run.manifest?.started_at ?? "");
  return Number.isFinite(started) && started < limitMs;
}

/** Removes one run and its children; returns why it was kept instead, or null. */
async function pruneOne(run: CatalogRun, byId: Map<string, CatalogRun>, dryRun: boolean, result: PruneResult): Promise<string | null> {
  if (run.manifest === null) return `unreadable manifest (${run.problem ?? "unknown"})`;
  if (run.active) return "active";
  if (run.stale) return `stale (close it with 'cancel ${run.runId}')`;
  let lock: HeldLock | null = null;
  if (!dryRun) {
    try {
      lock = await lockRun(run.files, run.runId, () => "busy");
    } catch (error) {
      if (error instanceof LockBusyError) return "being resumed";
      throw error;
    }
  }
  try {
    // Read again under the lock: a resume that finished meanwhile may have made it active again.
    const fresh = dryRun ? run.manifest : await loadManifest(run.files.manifest).catch(() => null);
    if (fresh === null || !FINISHED.has(fresh.status)) return "no longer finished";
    const children = fresh.child_runs.map((c) => byId.get(c.run_id)).filter((c): c is CatalogRun => c !== undefined);
    let bytes = await sizeOf(run.files.dir);
    for (const child of children) bytes += await sizeOf(child.files.dir);
    if (!dryRun) {
      for (const child of children) await rm(child.files.dir, { recursive: true, force: true });
      // The lock file lives in the directory: removing it releases the lock too.
      await rm(run.files.dir, { recursive: true, force: true });
      lock = null;
    }
    result.removed.push({ taskId: run.taskId, runId: run.runId, bytes, children: children.length });
    result.bytes += bytes;
    return null;
  } finally {
    await lock?.release().catch(() => undefined);
  }
}
