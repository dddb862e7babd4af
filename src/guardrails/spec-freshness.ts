import { readFileSync } from "node:fs";
import { join } from "node:path";
import { regularFiles } from "./regular-files.ts";

const MAX_AGE_DAYS = 30;
const DAY_MS = 86_400_000;

/**
 * Check 2 (SPEC §5.6): every regular file `tasks/specs/*.md` (depth 1, sorted, README.md included) carries a
 * `last_review:` date no more than 30 days before today (UTC). Future dates pass. Returns the failure messages.
 */
export function checkSpecFreshness(repo: string, today: Date = new Date()): string[] {
  const failures: string[] = [];
  for (const name of specFiles(repo)) {
    const path = `tasks/specs/${name}`;
    let text: string;
    try {
      text = readFileSync(join(repo, path), "utf8");
    } catch {
      failures.push(`${path}: missing last_review field`);
      continue;
    }
    const value = lastReviewValue(text);
    if (value === null || value === "") {
      failures.push(`${path}: missing last_review field`);
      continue;
    }
    const date = parseReviewDate(value);
    if (date === null) {
      failures.push(`${path}: invalid last_review date '${value}'`);
      continue;
    }
    const age = daysBetween(date, today);
    if (age > MAX_AGE_DAYS) failures.push(`${path}: last_review ${value} is ${age} days old (must be ≤30 days)`);
  }
  return failures;
}

/** Names of the regular `*.md` files directly under `tasks/specs/`, sorted; none when the folder is missing. */
function specFiles(repo: string): string[] {
  return regularFiles(join(repo, "tasks/specs"), (name) => name.endsWith(".md") && !name.startsWith("."));
}

/** The trimmed value after the first `:` of the first line starting (column 0) with `last_review:`, or null. */
export function lastReviewValue(text: string): string | null {
  for (const line of text.split("\n")) {
    if (line.startsWith("last_review:")) return line.slice(line.indexOf(":") + 1).trim();
  }
  return null;
}

/** A `YYYY-MM-DD` calendar date (1-digit month/day accepted) as UTC midnight, or null when it is not a real date. */
export function parseReviewDate(value: string): Date | null {
  const match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(value);
  if (match === null) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1) return null;
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return date;
}

/** Whole days from `date` to today's UTC date (negative for future dates). */
function daysBetween(date: Date, today: Date): number {
  const todayMidnight = new Date(0);
  todayMidnight.setUTCFullYear(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return Math.round((todayMidnight.getTime() - date.getTime()) / DAY_MS);
}
