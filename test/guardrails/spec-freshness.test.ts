import { expect, test } from "bun:test";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { checkSpecFreshness, lastReviewValue, parseReviewDate } from "../../src/guardrails/spec-freshness.ts";
import { scratchDir } from "../helpers/cli.ts";
import { writeFiles } from "./git-fixture.ts";

const today = new Date("2026-11-24T23:59:00.000Z");

test("every failure message, in sorted file order, README.md included", () => {
  const repo = scratchDir();
  writeFiles(repo, {
    "tasks/specs/README.md": "---\nlast_review: 2099-01-01\n---\n",
    "tasks/specs/a-missing.md": "---\ntitle: x\n  last_review: 2026-11-24\n---\n",
    "tasks/specs/b-empty.md": "last_review:   \n",
    "tasks/specs/c-invalid.md": "last_review: 2026-02-30\n",
    "tasks/specs/d-words.md": "last_review: yesterday\n",
    "tasks/specs/e-old.md": "last_review: 2000-01-01\n",
    "tasks/specs/f-31.md": "last_review: 2026-10-24\n",
    "tasks/specs/g-30.md": "last_review: 2026-10-25\n",
    "tasks/specs/h-short.md": "last_review: 2026-1-5\r\nlast_review: 2026-11-24\n",
    "tasks/specs/i-future.md": "last_review: 2030-12-31\n",
    "tasks/specs/notes.txt": "no last_review here\n",
    "tasks/specs/sub/deep.md": "nothing\n",
  });
  expect(checkSpecFreshness(repo, today)).toEqual([
    "tasks/specs/a-missing.md: missing last_review field",
    "tasks/specs/b-empty.md: missing last_review field",
    "tasks/specs/c-invalid.md: invalid last_review date '2026-02-30'",
    "tasks/specs/d-words.md: invalid last_review date 'yesterday'",
    "tasks/specs/e-old.md: last_review 2000-01-01 is 9824 days old (must be ≤30 days)",
    "tasks/specs/f-31.md: last_review 2026-10-24 is 31 days old (must be ≤30 days)",
    "tasks/specs/h-short.md: last_review 2026-1-5 is 323 days old (must be ≤30 days)",
  ]);
});

test("no tasks/specs folder: no failures; a directory named *.md and a dangling link are skipped", () => {
  const repo = scratchDir();
  expect(checkSpecFreshness(repo, today)).toEqual([]);
  mkdirSync(join(repo, "tasks/specs/dir.md"), { recursive: true });
  symlinkSync(join(repo, "nowhere"), join(repo, "tasks/specs/dangling.md"));
  expect(checkSpecFreshness(repo, today)).toEqual([]);
});

test("last_review parsing and date validation", () => {
  expect(lastReviewValue("a\nlast_review: 2026-01-02 \nlast_review: x")).toBe("2026-01-02");
  expect(lastReviewValue("last_review:a:b")).toBe("a:b");
  expect(lastReviewValue(" last_review: 2026-01-02")).toBeNull();
  expect(parseReviewDate("2024-02-29")?.toISOString()).toBe("2024-02-29T00:00:00.000Z");
  expect(parseReviewDate("0099-1-1")?.getUTCFullYear()).toBe(99);
  for (const bad of ["2023-02-29", "2026-13-01", "2026-00-10", "2026-01-00", "0000-01-01", "26-01-01", "2026-001-01", "2026/01/01"]) {
    expect(parseReviewDate(bad)).toBeNull();
  }
});
