import { expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findCodexReviewer, launchCodexReview } from "../../src/guardrails/codex-reviewer.ts";
import { scratchDir } from "../helpers/cli.ts";
import { CODEX_HELP_WITHOUT_REVIEW, CODEX_HELP_WITH_REVIEW, fakeCodexDir } from "./fake-codex.ts";

test("found only when codex --help mentions ' review'", () => {
  const withReview = fakeCodexDir(CODEX_HELP_WITH_REVIEW);
  const without = fakeCodexDir(CODEX_HELP_WITHOUT_REVIEW);
  expect(findCodexReviewer({ PATH: `${withReview.dir}:/usr/bin:/bin` })).toBe(join(withReview.dir, "codex"));
  expect(findCodexReviewer({ PATH: `${without.dir}:/usr/bin:/bin` })).toBeNull();
  // The first codex on PATH is the one asked.
  expect(findCodexReviewer({ PATH: `${without.dir}:${withReview.dir}` })).toBeNull();
  expect(findCodexReviewer({ PATH: "/usr/bin:/bin" })).toBeNull();
  expect(findCodexReviewer({})).toBeNull();
});

test("a non-executable codex is skipped", () => {
  const dir = scratchDir();
  writeFileSync(join(dir, "codex"), "#!/bin/sh\necho ' review'\n");
  expect(findCodexReviewer({ PATH: dir })).toBeNull();
});

test("launch passes `review <abs path>` and reports the exit code", async () => {
  const ok = fakeCodexDir(CODEX_HELP_WITH_REVIEW, 0);
  expect(await launchCodexReview(join(ok.dir, "codex"), "/abs/manifest.json")).toBe(0);
  expect(readFileSync(ok.argvLog, "utf8")).toBe("review\n/abs/manifest.json\n--\n");
  const failing = fakeCodexDir(CODEX_HELP_WITH_REVIEW, 3);
  expect(await launchCodexReview(join(failing.dir, "codex"), "/m.json")).toBe(3);
});
