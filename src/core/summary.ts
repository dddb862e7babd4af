/** Summary text rules (SPEC §10.1, §10.2, §14.2). Pure functions. */

const EXCERPT_LIMIT = 240;

/** Retained text trimmed, cut to 240 characters + `…` when longer. */
export function excerpt(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > EXCERPT_LIMIT ? `${trimmed.slice(0, EXCERPT_LIMIT)}…` : trimmed;
}

export type StageOutcome = {
  summaryHint?: string | null;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** The configured timeout (seconds) when it ended the command (issue 22.11). */
  timedOutAfterSeconds?: number | null;
};

/** `Command timed out after <n>s`: `<n>` is the configured timeout, as configured (`0.5`, `30`). */
export function timeoutText(seconds: number): string {
  return `Command timed out after ${seconds}s`;
}

/**
 * The first rule of §10.1 that applies. `exitCode` is the raw code (null when signalled). A command the timeout
 * ended says so (issue 22.11) instead of naming the signal the timeout sent.
 */
export function stageSummary(outcome: StageOutcome): string {
  if (outcome.summaryHint) return outcome.summaryHint;
  const err = excerpt(outcome.stderr);
  const failed = outcome.signal !== null || (outcome.exitCode !== null && outcome.exitCode !== 0);
  if (failed && outcome.timedOutAfterSeconds != null) return `${timeoutText(outcome.timedOutAfterSeconds)}${err ? ` — ${err}` : ""}`;
  if (outcome.signal) return `Terminated with signal ${outcome.signal}${err ? ` — ${err}` : ""}`;
  if (outcome.exitCode !== null && outcome.exitCode !== 0) {
    return `Exited with code ${outcome.exitCode}${err ? ` — ${err}` : ""}`;
  }
  const out = excerpt(outcome.stdout);
  if (out) return out;
  if (err) return err;
  return `Command completed with code ${outcome.exitCode ?? 0}`;
}

/** appendSummary (§10.2): ignore empty; set when null; skip when already contained; else append on a new line. */
export function appendSummary(summary: string | null, line: string): string | null {
  if (line === "") return summary;
  if (summary === null) return line;
  if (summary.includes(line)) return summary;
  return `${summary}\n${line}`;
}

/** Removes exact lines (and lines matched by a predicate) from a summary; null when nothing is left. */
export function removeSummaryLines(summary: string | null, remove: (line: string) => boolean): string | null {
  if (summary === null) return null;
  const kept = summary.split("\n").filter((line) => !remove(line));
  const joined = kept.join("\n").trim();
  return joined === "" ? null : joined;
}

const SAFE_PUNCTUATION = "_/.:=-";

/** Whether a token is shown as is: only `A-Za-z0-9_/.:=-` (a loop, not a regular expression: every exec runs it). */
function isSafeToken(token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) continue;
    if (!SAFE_PUNCTUATION.includes(token[i] as string)) return false;
  }
  return true;
}

/** Display string of an argv (§14.2): safe tokens as is, `''` for empty, others single-quoted. */
export function displayString(argv: readonly string[]): string {
  return argv
    .map((token) => {
      if (token === "") return "''";
      if (isSafeToken(token)) return token;
      return `'${token.split("'").join("'\\''")}'`;
    })
    .join(" ");
}

/**
 * The recommendation lines (§10.2, reworded by issue 22.8: the script they named is this repository's, not the
 * user's). They go into the run's summary only; nothing is printed.
 */
export const GUARDRAIL_MISSING = "Guardrail command missing; add a `codex-orchestrator spec-guard` stage to record guardrail results.";
export const GUARDRAIL_FAILED = "Guardrail command failed; run `codex-orchestrator spec-guard` to see what it reports.";
/** The SPEC's wording of the two lines, still found in older manifests (resume removes them like the new ones). */
export const LEGACY_GUARDRAIL_LINES: readonly string[] = [
  "Guardrail command missing; run scripts/run-mcp-diagnostics.sh --no-watch to capture reviewer diagnostics.",
  "Guardrail command failed; re-run scripts/run-mcp-diagnostics.sh --no-watch to gather failure artifacts.",
];

/**
 * How a `commands[]` status reads in text (issue 22.11): `skipped` is what the manifest records for a stage that
 * failed with `allowFailure` (or an `optional` sub-pipeline that failed), so text says `failed (allowed)`.
 */
export function statusLabel(status: string): string {
  return status === "skipped" ? "failed (allowed)" : status;
}

export type GuardrailCounts = { total: number; passed: number; failed: number; skipped: number; pending: number };

/** The recommendation line, or null when every guardrail command succeeded (§10.2). */
export function guardrailRecommendation(counts: GuardrailCounts): string | null {
  if (counts.total === 0) return GUARDRAIL_MISSING;
  if (counts.passed < counts.total) return GUARDRAIL_FAILED;
  return null;
}

/** The `Guardrails: …` line (§10.2). */
export function guardrailLine(counts: GuardrailCounts): string {
  const { total, passed, failed, skipped, pending } = counts;
  if (total === 0) return "Guardrails: spec-guard command not found.";
  if (failed > 0) return `Guardrails: spec-guard failed (${failed}/${total} failed).`;
  if (passed === total) return `Guardrails: spec-guard succeeded (${total} passed).`;
  if (skipped === total) return `Guardrails: spec-guard failed (allowed): ${total}/${total} failed with allowFailure.`;
  const parts = [
    passed ? `${passed} passed` : "",
    skipped ? `${skipped} failed (allowed)` : "",
    pending ? `${pending} pending` : "",
  ].filter(Boolean);
  return `Guardrails: spec-guard partial (${parts.join(", ")} of ${total}).`;
}

/** Upserts the guardrail line: drop lines starting (case-insensitively) with `guardrails:`, append, trim. */
export function upsertGuardrailLine(summary: string | null, line: string): string {
  const kept = (summary ?? "").split("\n").filter((l) => !l.toLowerCase().startsWith("guardrails:"));
  kept.push(line);
  return kept.join("\n").trim();
}
