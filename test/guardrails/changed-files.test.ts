import { expect, test } from "bun:test";
import { changedFiles, codeChangedWithoutSpec } from "../../src/guardrails/changed-files.ts";
import { commit, emptyRepo } from "./git-fixture.ts";

test("files changed between base and HEAD (three-dot: since the merge base)", () => {
  const repo = emptyRepo();
  const base = commit(repo, { "README.md": "x" });
  commit(repo, { "src/a.ts": "1" });
  commit(repo, { "docs/é.md": "2", "tasks/index.json": "{}" });
  expect(changedFiles(repo, base).sort()).toEqual(["docs/é.md", "src/a.ts", "tasks/index.json"]);
});

test("empty diff against the base falls back to the last commit", () => {
  const repo = emptyRepo();
  commit(repo, { "README.md": "x" });
  const head = commit(repo, { "app/x.ts": "1" });
  expect(changedFiles(repo, head)).toEqual(["app/x.ts"]);
});

test("a single commit compared with itself has no changed files", () => {
  const repo = emptyRepo();
  const only = commit(repo, { "src/a.ts": "1" });
  expect(changedFiles(repo, only)).toEqual([]);
});

test("check 1: every code prefix, and both ways of updating a spec", () => {
  for (const path of ["src/a.ts", "app/a", "server/a", "migrations/1.sql", "db/migrations/1.sql", "prisma/migrations/1"]) {
    expect(codeChangedWithoutSpec([path])).toBe(true);
    expect(codeChangedWithoutSpec([path, "tasks/specs/x.md"])).toBe(false);
    expect(codeChangedWithoutSpec([path, "tasks/index.json"])).toBe(false);
  }
  expect(codeChangedWithoutSpec(["docs/a.md", "test/src/a.ts", "srcx/a.ts"])).toBe(false);
  expect(codeChangedWithoutSpec(["src/a.ts", "tasks/index.json.bak", "tasks/specsx.md"])).toBe(true);
  expect(codeChangedWithoutSpec([])).toBe(false);
});
