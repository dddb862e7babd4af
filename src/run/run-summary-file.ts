import { writeJsonAtomic } from "./atomic-write.ts";
import { runFiles } from "./paths.ts";

/**
 * Writes `<rundir>/run-summary.json` (pretty + newline, atomic): the RunSummary of a pipeline run, or the
 * `run:summary` event of an exec run. Returns its absolute path.
 */
export async function writeRunSummaryFile(runDir: string, value: unknown): Promise<string> {
  const path = runFiles(runDir).runSummary;
  await writeJsonAtomic(path, value);
  return path;
}
