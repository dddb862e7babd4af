import type { EventSubscriber } from "../core/event-stream.ts";
import type { OrchestratorEvent } from "../core/schemas/events.ts";
import type { ManifestStore } from "./manifest-store.ts";
import { buildMetricsLine, tryAppendMetricsLine } from "./metrics-file.ts";
import { rel, type StoreRoots } from "./paths.ts";
import type { RunLog } from "./run-log.ts";
import { writeRunSummaryFile } from "./run-summary-file.ts";

/**
 * The records that react to a run's `run:summary` (SPEC §14.1 step 6): `run-summary.json` (the event itself, its
 * notifications filled in) and the metrics line, then one manifest save for `run_summary_path` and
 * `metrics_recorded`. A subscriber of the stream for the run `store` holds: `exec` runs, whose summary file is the
 * event. (A pipeline run's `run-summary.json` is its RunSummary, and its metrics line comes before its `run:summary`,
 * which carries the `Guardrails:` line that the line's outcome decides, SPEC §10.2 step 3: `pipeline/record-run.ts`.)
 */
export function summaryRecords(store: ManifestStore, log: RunLog, roots: StoreRoots, warn: (line: string) => void): EventSubscriber {
  const runId = store.manifest.run_id;
  return (event: OrchestratorEvent) => {
    if (event.type !== "run:summary" || event.payload.runId !== runId) return undefined;
    return record(event);
  };

  async function record(event: OrchestratorEvent): Promise<void> {
    if (await writeSummaryAndMetrics(store, log, roots, event, warn)) store.manifest.metrics_recorded = true;
    await log.tolerate(store.save());
  }
}

/**
 * Writes a run's `run-summary.json` (`summary`, whatever shape the run's kind gives it) and appends its metrics line
 * (unless `skipMetrics`: the line of this run is already in), setting `run_summary_path`; true when the line was
 * appended. The two are independent writes, each fsync'd by its own module, so they go side by side (about 3–4 ms less
 * per run, measured), and beside the fsync of the final-status manifest (`ManifestStore.save({ syncAfter })`): one
 * round of flushes at the end of a run instead of two. After a store fault one at a time, so that the summary's write
 * frees space before the line needs it. The caller records the outcome and saves the manifest once.
 */
export async function writeSummaryAndMetrics(
  store: ManifestStore,
  log: RunLog,
  roots: StoreRoots,
  summary: unknown,
  warn: (line: string) => void,
  skipMetrics = false,
): Promise<boolean> {
  const manifest = store.manifest;
  const summaryBytes = () => JSON.stringify(summary, null, 2).length;
  const writeSummary = () => log.tolerate(store.withRoom(store.files.runSummary, summaryBytes, () => writeRunSummaryFile(store.files.dir, summary)));
  const writeMetrics = async () => (skipMetrics ? false : tryAppendMetricsLine(roots, buildMetricsLine(manifest, new Date()), warn));
  const synced = () => log.tolerate(store.synced());
  const [path, recorded] =
    log.failure === null
      ? await Promise.all([writeSummary(), writeMetrics(), synced()])
      : [await writeSummary(), await writeMetrics(), await synced()];
  if (path !== null) manifest.run_summary_path = rel(roots, path);
  return recorded;
}
