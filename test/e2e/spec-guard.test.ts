import { expect, test } from "bun:test";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { runCli, scratchDir } from "../helpers/cli.ts";
import { commit, daysAgo, emptyRepo, git, repoWithChange } from "../guardrails/git-fixture.ts";

/** A PATH holding only git: proves the spec guard needs neither python nor a shell. */
function gitOnlyPath(): string {
  const dir = join(scratchDir("co-path-"), "bin");
  mkdirSync(dir);
  symlinkSync("/usr/bin/git", join(dir, "git"));
  return dir;
}

const PATH = gitOnlyPath();
const env = { PATH, BASE_SHA: undefined };
const FAILED = "❌ Spec guard: issues detected\n";
const CODE_MESSAGE = " - code/migrations changed but no spec updated under tasks/specs or tasks/index.json\n";

test("code without spec fails; --dry-run reports and exits 0 (acceptance 41)", async () => {
  const repo = repoWithChange({ "src/a.ts": "export const a = 1;\n" });
  const plain = await runCli(["spec-guard"], { cwd: repo, env });
  expect(plain).toMatchObject({ code: 1, stdout: FAILED + CODE_MESSAGE, stderr: "" });
  const dry = await runCli(["spec-guard", "--dry-run"], { cwd: repo, env });
  expect(dry).toMatchObject({
    code: 0,
    stdout: `${FAILED}${CODE_MESSAGE}Dry run: exiting successfully despite failures.\n`,
    stderr: "",
  });
});

test("a fresh spec in the same commit passes; an old one is reported", async () => {
  const fresh = repoWithChange({ "src/a.ts": "1\n", "tasks/specs/x.md": `---\nlast_review: ${daysAgo(0)}\n---\n` });
  expect(await runCli(["spec-guard"], { cwd: fresh, env })).toMatchObject({ code: 0, stdout: "✅ Spec guard: OK\n" });

  const old = repoWithChange({ "src/a.ts": "1\n", "tasks/specs/old.md": "last_review: 2000-01-01\n" });
  const result = await runCli(["spec-guard"], { cwd: old, env });
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(
    /^❌ Spec guard: issues detected\n - tasks\/specs\/old\.md: last_review 2000-01-01 is \d+ days old \(must be ≤30 days\)\n$/,
  );
});

test("missing and invalid last_review, checklist mirror failures", async () => {
  const repo = repoWithChange({
    "tasks/specs/a.md": "# no date\n",
    "tasks/specs/b.md": "last_review: 2026-02-31\n",
    "tasks/tasks-0303-x.md": "- [x] Done; Evidence: _(pending)_\n",
  });
  const result = await runCli(["spec-guard"], { cwd: repo, env });
  expect(result.code).toBe(1);
  expect(result.stdout).toBe(
    [
      "❌ Spec guard: issues detected",
      " - tasks/specs/a.md: missing last_review field",
      " - tasks/specs/b.md: invalid last_review date '2026-02-31'",
      ' - tasks/tasks-0303-x.md:1: [x] "Done" cites no run manifest (.runs/<task>/cli/<run-id>/manifest.json)',
      " - docs/TASKS.md: no section mirrors tasks/tasks-0303-x.md",
      " - .agent/task/0303-x.md: missing mirror of tasks/tasks-0303-x.md",
      "",
    ].join("\n"),
  );
});

test("base: BASE_SHA, else origin/main, else the root commit", async () => {
  const repo = emptyRepo();
  commit(repo, { "README.md": "x\n" }, "initial");
  const specCommit = commit(repo, { "tasks/specs/x.md": `last_review: ${daysAgo(1)}\n` }, "spec");
  commit(repo, { "src/a.ts": "1\n" }, "code");
  // Root commit as base: the spec change is included, OK.
  expect((await runCli(["spec-guard"], { cwd: repo, env })).code).toBe(0);
  expect((await runCli(["spec-guard"], { cwd: repo, env: { ...env, BASE_SHA: "not-a-revision" } })).code).toBe(0);
  // BASE_SHA after the spec commit: only code changed.
  const fromEnv = await runCli(["spec-guard"], { cwd: repo, env: { ...env, BASE_SHA: specCommit } });
  expect(fromEnv).toMatchObject({ code: 1, stdout: FAILED + CODE_MESSAGE });
  // origin/main at the spec commit is used when BASE_SHA is unset.
  git(repo, "update-ref", "refs/remotes/origin/main", specCommit);
  expect(await runCli(["spec-guard"], { cwd: repo, env })).toMatchObject({ code: 1, stdout: FAILED + CODE_MESSAGE });
  // An explicit BASE_SHA wins over origin/main.
  const root = git(repo, "rev-list", "--max-parents=0", "HEAD").trim();
  expect((await runCli(["spec-guard"], { cwd: repo, env: { ...env, BASE_SHA: root } })).code).toBe(0);
});

test("CODEX_ORCHESTRATOR_ROOT names the repository; the cwd does not matter", async () => {
  const repo = repoWithChange({ "server/x.ts": "1\n" });
  const result = await runCli(["spec-guard"], { cwd: scratchDir(), env: { ...env, CODEX_ORCHESTRATOR_ROOT: repo } });
  expect(result).toMatchObject({ code: 1, stdout: FAILED + CODE_MESSAGE });
});

test("no base: outside git, or no commits → exit 128, even with --dry-run", async () => {
  for (const args of [["spec-guard"], ["spec-guard", "--dry-run"]]) {
    const outside = await runCli(args, { cwd: scratchDir(), env });
    expect(outside.code).toBe(128);
    expect(outside.stdout).toBe("");
    expect(outside.stderr).toMatch(/^Spec guard failed: unable to resolve a base commit \(fatal: not a git repository.*\)\n$/);
  }
  const noCommits = await runCli(["spec-guard", "--dry-run"], { cwd: emptyRepo(), env });
  expect(noCommits.code).toBe(128);
  expect(noCommits.stderr).toMatch(/^Spec guard failed: unable to resolve a base commit \(.+\)\n$/);
  const noGit = await runCli(["spec-guard"], { cwd: scratchDir(), env: { PATH: scratchDir() } });
  expect(noGit).toMatchObject({ code: 128, stderr: "Spec guard failed: unable to resolve a base commit (git not found on PATH)\n" });
});

test("options: unknown → message and usage, exit 2; -h/--help → usage, exit 0", async () => {
  const cwd = scratchDir();
  for (const arg of ["--bogus", "extra", "--dry-run=maybe", "-x"]) {
    const result = await runCli(["spec-guard", arg], { cwd, env });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.startsWith(`Unknown option: ${arg}\nUsage: codex-orchestrator spec-guard [--dry-run]\n`)).toBe(true);
  }
  for (const arg of ["-h", "--help"]) {
    const result = await runCli(["spec-guard", arg], { cwd, env });
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")[0]).toBe("Usage: codex-orchestrator spec-guard [--dry-run]");
    expect(result.stdout).toContain("--dry-run");
    expect(result.stdout).toContain("last_review");
    expect(result.stdout).toContain("tasks/index.json");
  }
  // --dry-run=false is the default: failures exit 1.
  const repo = repoWithChange({ "migrations/1.sql": "--\n" });
  expect((await runCli(["spec-guard", "--dry-run", "--dry-run=false"], { cwd: repo, env })).code).toBe(1);
});
