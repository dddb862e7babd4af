/** Guardrail detection (SPEC §10.2). Pure. */
import type { GuardrailCounts } from "./summary.ts";

const SPEC_GUARD_SCRIPT = "scripts/spec-guard.sh";
const CLI_NAMES = new Set(["codex-orchestrator", "codex-orch"]);

/**
 * A guardrail command contains `scripts/spec-guard.sh`, or has a word whose last path segment is `codex-orchestrator`
 * or `codex-orch` directly followed by the word `spec-guard`.
 */
export function isGuardrailCommand(command: string | null | undefined): boolean {
  if (typeof command !== "string" || command === "") return false;
  if (command.includes(SPEC_GUARD_SCRIPT)) return true;
  const words = whitespaceWords(command);
  for (let i = 0; i + 1 < words.length; i += 1) {
    const word = words[i] as string;
    const last = word.slice(word.lastIndexOf("/") + 1);
    if (CLI_NAMES.has(last) && words[i + 1] === "spec-guard") return true;
  }
  return false;
}

/** JavaScript's whitespace (`\s`): the separators of `split(/\s+/)`, which every run's metrics line would compile. */
const WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff";

/** The non-empty words of `text` between runs of whitespace. */
function whitespaceWords(text: string): string[] {
  const words: string[] = [];
  let word = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (!WHITESPACE.includes(c)) word += c;
    else if (word !== "") {
      words.push(word);
      word = "";
    }
  }
  if (word !== "") words.push(word);
  return words;
}

type EntryLike = { command: string | null; status: string };

/**
 * Counts guardrail commands by status. `running` and `cancelled` entries did not complete, so they count as
 * `pending` (the SPEC names only passed/failed/skipped/pending).
 */
export function guardrailCounts(entries: readonly EntryLike[]): GuardrailCounts {
  const counts: GuardrailCounts = { total: 0, passed: 0, failed: 0, skipped: 0, pending: 0 };
  for (const entry of entries) {
    if (!isGuardrailCommand(entry.command)) continue;
    counts.total += 1;
    if (entry.status === "succeeded" || entry.status === "cached") counts.passed += 1;
    else if (entry.status === "failed") counts.failed += 1;
    else if (entry.status === "skipped") counts.skipped += 1;
    else counts.pending += 1;
  }
  return counts;
}

/** `guardrails_present`: some guardrail command succeeded. */
export function guardrailsPresent(entries: readonly EntryLike[]): boolean {
  return entries.some((entry) => (entry.status === "succeeded" || entry.status === "cached") && isGuardrailCommand(entry.command));
}
