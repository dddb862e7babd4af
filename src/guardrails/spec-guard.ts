import { type BaseRef, resolveBase } from "./base-ref.ts";
import { CODE_WITHOUT_SPEC_MESSAGE, changedFiles, codeChangedWithoutSpec } from "./changed-files.ts";
import { checkChecklistMirrors } from "./checklist-mirror.ts";
import { checkSpecFreshness } from "./spec-freshness.ts";

export type SpecGuardOptions = {
  /** `<repo>`: where git runs and `tasks/` is read. */
  repo: string;
  env?: Record<string, string | undefined>;
  /** "Today" for the freshness rule (UTC date is used). */
  now?: Date;
};

export type SpecGuardResult = { base: BaseRef; changedFiles: string[]; failures: string[] };

/**
 * Runs every spec-guard check (SPEC §5.6 plus the checklist mirror check) and returns the failure messages in report
 * order. Throws SpecGuardBaseError (exit 128) when no base revision resolves.
 */
export function runSpecGuard(options: SpecGuardOptions): SpecGuardResult {
  const base = resolveBase(options.repo, options.env ?? process.env);
  const files = changedFiles(options.repo, base.sha);
  const failures: string[] = [];
  if (codeChangedWithoutSpec(files)) failures.push(CODE_WITHOUT_SPEC_MESSAGE);
  failures.push(...checkSpecFreshness(options.repo, options.now ?? new Date()));
  failures.push(...checkChecklistMirrors(options.repo));
  return { base, changedFiles: files, failures };
}

/** The stdout report and exit code (SPEC §5.6): failures exit 1, or 0 under --dry-run. */
export function renderSpecGuardReport(failures: readonly string[], dryRun: boolean): { text: string; exitCode: number } {
  if (failures.length === 0) return { text: "✅ Spec guard: OK\n", exitCode: 0 };
  const lines = ["❌ Spec guard: issues detected", ...failures.map((failure) => ` - ${failure}`)];
  if (dryRun) lines.push("Dry run: exiting successfully despite failures.");
  return { text: `${lines.join("\n")}\n`, exitCode: dryRun ? 0 : 1 };
}
