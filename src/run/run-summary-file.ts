import { redactJson } from "../core/redact.ts";
import { prettyJson } from "./atomic-write.ts";
import { writeFileAtomicSync } from "./manifest-store.ts";
import { runFiles } from "./paths.ts";

/**
 * Writes `<rundir>/run-summary.json` (pretty + newline, atomic, fsync'd before its rename, secrets redacted): the
 * RunSummary of a pipeline run, or the `run:summary` event of an exec run. Returns its absolute path. Written with
 * the run store's synchronous primitive, the flush on the thread pool (one round trip instead of six: it runs beside
 * the metrics line's and the final manifest's, issue 21).
 */
export async function writeRunSummaryFile(runDir: string, value: unknown): Promise<string> {
  const path = runFiles(runDir).runSummary;
  await writeFileAtomicSync(path, redactJson(prettyJson(value)), { durable: "pool" });
  return path;
}
