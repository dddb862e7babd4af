import { dirname } from "node:path";
import { errorMessage } from "../core/errors.ts";
import type { Invocation } from "../pipeline/invocation.ts";

/** `--report` / `--report=false` as given, else config `report` (issue 20). */
export function reportWanted(option: boolean | string | string[] | undefined, invocation: Invocation | null): boolean {
  if (typeof option === "boolean") return option;
  return invocation?.config?.config.report === true;
}

/** A report written after a run, or the one line saying why it could not be. */
export type RunReportOutcome = { path: string; error: null } | { path: string; error: string };

/**
 * Writes `<run dir>/report.html` once the run is recorded (its final manifest, notifications included). A page that
 * cannot be written does not change the record of the run; the command prints the error line and exits 1 instead
 * of 0 (`--report` asked for a file that is not there).
 */
export async function writeReportAfterRun(manifestPath: string): Promise<RunReportOutcome> {
  // The report modules (HTML, timeline, node:readline) load only when a report is written: a run without one
  // never pays for them (issue 21).
  const { defaultReportPath, writeRunReport } = await import("../report/write-report.ts");
  const path = defaultReportPath(dirname(manifestPath));
  try {
    await writeRunReport(manifestPath, path);
    return { path, error: null };
  } catch (error) {
    return { path, error: errorMessage(error) };
  }
}

/** The exit code after a report failure: a run that would exit 0 exits 1; any other code stands. */
export function exitAfterReport(exitCode: number, outcome: RunReportOutcome | null): number {
  return outcome !== null && outcome.error !== null && exitCode === 0 ? 1 : exitCode;
}
