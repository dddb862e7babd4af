import { Buffer } from "node:buffer";
import { closeSync, fsync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { errorMessage } from "../core/errors.ts";
import { guardrailsPresent } from "../core/guardrails.ts";
import type { Manifest } from "../core/schemas/manifest.ts";
import type { MetricsLine } from "../core/schemas/records.ts";
import { type LockOptions, withLock } from "../platform/file-lock.ts";
import { metricsLockPath, metricsPath, type StoreRoots } from "./paths.ts";

export const metricsLockMessage = (taskId: string) => `Failed to acquire metrics lock for ${taskId} after 5 attempts`;

function durationSeconds(startedAt: string, completedAt: string | null): number | null {
  if (completedAt === null) return null;
  const start = Date.parse(startedAt);
  const end = Date.parse(completedAt);
  if (Number.isNaN(start) || Number.isNaN(end)) return null;
  return Math.max(0, (end - start) / 1000);
}

/** The metrics line of a finished run (SPEC §17.1), keys in the documented order, then the additive ones. */
export function buildMetricsLine(manifest: Manifest, now: Date): MetricsLine {
  return {
    run_id: manifest.run_id,
    task_id: manifest.task_id,
    pipeline_id: manifest.pipeline_id,
    status: manifest.status,
    started_at: manifest.started_at,
    completed_at: manifest.completed_at,
    duration_seconds: durationSeconds(manifest.started_at, manifest.completed_at),
    commands_passed: manifest.commands.filter((c) => c.status === "succeeded" || c.status === "cached").length,
    commands_failed: manifest.commands.filter((c) => c.status === "failed").length,
    guardrails_present: guardrailsPresent(manifest.commands),
    recorded_at: now.toISOString(),
    artifact_path: manifest.artifact_root,
    child_runs: manifest.child_runs.length,
    approval_reuse: manifest.metrics?.approvalReuse ?? null,
    command_latency_ms: manifest.metrics?.commandLatencyMs ?? null,
  };
}

export type MetricsAppendOptions = Omit<LockOptions, "busyMessage">;

/**
 * Appends one compact line to `<runs>/<task>/metrics.json` under `metrics.json.lock`: the whole line is written while
 * holding the lock, so concurrent runs never interleave or lose lines; the fsync follows after the lock is released
 * (the line is durable before this returns). Holding the lock through the fsync made concurrent runs queue behind each
 * other's disk flushes, and under load a run could use up its 5 attempts (SPEC §7.3) and lose its line. Throws on
 * failure (`LockBusyError` when the lock stayed busy). The file calls are synchronous (microseconds each) and only the
 * fsync goes to the thread pool: a dozen round trips to it cost ~1–2 ms per run (issue 21).
 */
export async function appendMetricsLine(
  roots: Pick<StoreRoots, "runs">,
  taskId: string,
  line: MetricsLine,
  options: MetricsAppendOptions = {},
): Promise<void> {
  const path = metricsPath(roots, taskId);
  const bytes = Buffer.from(`${JSON.stringify(line)}\n`, "utf8");
  let fd: number;
  try {
    fd = openSync(path, "a", 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(path, "a", 0o644);
  }
  try {
    await withLock(metricsLockPath(roots, taskId), { ...options, busyMessage: metricsLockMessage(taskId) }, async () => {
      let written = 0;
      while (written < bytes.byteLength) written += writeSync(fd, bytes, written);
    });
    await new Promise<void>((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));
  } finally {
    closeSync(fd);
  }
}

/**
 * `appendMetricsLine` that never throws: on failure it reports `Metrics line not recorded for task <t> (run <r>):
 * <message>` through `warn` and returns false (the caller then leaves `metrics_recorded` false).
 */
export async function tryAppendMetricsLine(
  roots: Pick<StoreRoots, "runs">,
  line: MetricsLine,
  warn: (message: string) => void,
  options: MetricsAppendOptions = {},
): Promise<boolean> {
  try {
    await appendMetricsLine(roots, line.task_id, line, options);
    return true;
  } catch (error) {
    warn(`Metrics line not recorded for task ${line.task_id} (run ${line.run_id}): ${errorMessage(error)}`);
    return false;
  }
}
