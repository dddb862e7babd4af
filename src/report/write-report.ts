import { join, resolve } from "node:path";
import { RunFailedError, errorMessage } from "../core/errors.ts";
import { writeFileAtomic } from "../platform/atomic-write.ts";
import { renderReportHtml } from "./render-html.ts";
import { buildRunReport, type RunReport } from "./report-model.ts";

/** The report's name in the run directory (`start`/`resume`/`exec --report`, and `report` without `--out`). */
export const REPORT_FILE = "report.html";

export function defaultReportPath(runDir: string): string {
  return join(runDir, REPORT_FILE);
}

/**
 * Builds the report of the run whose manifest is `manifestPath` and writes it to `outPath` atomically (a reader
 * never sees half a page). A file that cannot be written is `Cannot write report <path>: <reason>` (exit 1).
 */
export async function writeRunReport(manifestPath: string, outPath: string, now: () => number = Date.now): Promise<{ path: string; report: RunReport }> {
  const path = resolve(outPath);
  const report = await buildRunReport(manifestPath, { tails: true, now });
  const page = renderReportHtml(report, { reportPath: path });
  try {
    await writeFileAtomic(path, page);
  } catch (error) {
    throw new RunFailedError(`Cannot write report ${path}: ${errorMessage(error)}`, { cause: error });
  }
  return { path, report };
}
