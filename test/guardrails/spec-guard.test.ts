import { expect, test } from "bun:test";
import { renderSpecGuardReport, runSpecGuard } from "../../src/guardrails/spec-guard.ts";
import { daysAgo, repoWithChange } from "./git-fixture.ts";

test("failures in report order: code check, spec freshness, checklist mirrors", () => {
  const now = new Date();
  const repo = repoWithChange({
    "src/a.ts": "export {};\n",
    "tasks/specs/old.md": "last_review: 2000-01-01\n",
    "tasks/tasks-0303-x.md": "- [ ] Item\n",
  });
  // The spec was committed together with the code, so check 1 passes; only freshness and mirrors fail.
  const result = runSpecGuard({ repo, env: {}, now });
  expect(result.base.source).toBe("root-commit");
  expect(result.changedFiles.sort()).toEqual(["src/a.ts", "tasks/specs/old.md", "tasks/tasks-0303-x.md"]);
  expect(result.failures).toEqual([
    expect.stringMatching(/^tasks\/specs\/old\.md: last_review 2000-01-01 is \d+ days old \(must be ≤30 days\)$/),
    "docs/TASKS.md: no section mirrors tasks/tasks-0303-x.md",
    ".agent/task/0303-x.md: missing mirror of tasks/tasks-0303-x.md",
  ]);

  const codeOnly = repoWithChange({ "prisma/migrations/1/migration.sql": "--\n", "tasks/specs/a.md": `last_review: ${daysAgo(0)}\n` });
  expect(runSpecGuard({ repo: codeOnly, env: {} }).failures).toEqual([]);
  const noSpec = repoWithChange({ "db/migrations/1.sql": "--\n" });
  expect(runSpecGuard({ repo: noSpec, env: {} }).failures).toEqual([
    "code/migrations changed but no spec updated under tasks/specs or tasks/index.json",
  ]);
});

test("report text and exit codes", () => {
  expect(renderSpecGuardReport([], false)).toEqual({ text: "✅ Spec guard: OK\n", exitCode: 0 });
  expect(renderSpecGuardReport([], true)).toEqual({ text: "✅ Spec guard: OK\n", exitCode: 0 });
  expect(renderSpecGuardReport(["a", "b"], false)).toEqual({
    text: "❌ Spec guard: issues detected\n - a\n - b\n",
    exitCode: 1,
  });
  expect(renderSpecGuardReport(["a"], true)).toEqual({
    text: "❌ Spec guard: issues detected\n - a\nDry run: exiting successfully despite failures.\n",
    exitCode: 0,
  });
});
