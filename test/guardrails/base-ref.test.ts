import { expect, test } from "bun:test";
import { SpecGuardBaseError, resolveBase } from "../../src/guardrails/base-ref.ts";
import { scratchDir } from "../helpers/cli.ts";
import { commit, emptyRepo, git } from "./git-fixture.ts";

function threeCommits() {
  const repo = emptyRepo();
  const first = commit(repo, { "a.txt": "1" }, "first");
  const second = commit(repo, { "a.txt": "2" }, "second");
  const third = commit(repo, { "a.txt": "3" }, "third");
  return { repo, first, second, third };
}

test("BASE_SHA wins when it verifies as a commit", () => {
  const { repo, second } = threeCommits();
  git(repo, "update-ref", "refs/remotes/origin/main", second);
  expect(resolveBase(repo, { BASE_SHA: second })).toEqual({ ref: second, sha: second, source: "BASE_SHA" });
  // Any revision syntax git understands, resolved to its commit.
  expect(resolveBase(repo, { BASE_SHA: "HEAD~2" }).source).toBe("BASE_SHA");
});

test("origin/main when BASE_SHA is unset or empty", () => {
  const { repo, second } = threeCommits();
  git(repo, "update-ref", "refs/remotes/origin/main", second);
  expect(resolveBase(repo, {})).toEqual({ ref: "origin/main", sha: second, source: "origin/main" });
  expect(resolveBase(repo, { BASE_SHA: "" }).source).toBe("origin/main");
});

test("falls back to the root commit when the base does not verify", () => {
  const { repo, first } = threeCommits();
  expect(resolveBase(repo, {})).toEqual({ ref: first, sha: first, source: "root-commit" });
  expect(resolveBase(repo, { BASE_SHA: "deadbeef" }).sha).toBe(first);
  expect(resolveBase(repo, { BASE_SHA: "--all" }).sha).toBe(first);
  // A BASE_SHA naming a tree (not a commit) does not verify either.
  expect(resolveBase(repo, { BASE_SHA: "HEAD^{tree}" }).source).toBe("root-commit");
});

test("with several root commits the last one listed is used", () => {
  const repo = emptyRepo();
  commit(repo, { "a.txt": "a" }, "root a");
  git(repo, "checkout", "-q", "--orphan", "other");
  git(repo, "rm", "-q", "-r", "--cached", ".");
  commit(repo, { "b.txt": "b" }, "root b");
  git(repo, "checkout", "-q", "main");
  git(repo, "merge", "-q", "--allow-unrelated-histories", "-m", "merge", "other");
  const listed = git(repo, "rev-list", "--max-parents=0", "HEAD").trim().split("\n");
  expect(listed).toHaveLength(2);
  expect(resolveBase(repo, {}).sha).toBe(listed[1] as string);
});

test("no base: outside git, no commits, missing directory, no git on PATH", () => {
  const outside = scratchDir("co-guard-nogit-");
  expect(() => resolveBase(outside, {})).toThrow(SpecGuardBaseError);
  try {
    resolveBase(outside, {});
  } catch (error) {
    expect((error as SpecGuardBaseError).exitCode).toBe(128);
    expect((error as Error).message).toMatch(
      /^Spec guard failed: unable to resolve a base commit \(fatal: not a git repository.*\)$/,
    );
  }
  expect(() => resolveBase(emptyRepo(), {})).toThrow(/^Spec guard failed: unable to resolve a base commit \(.+\)$/);
  expect(() => resolveBase(`${outside}/missing`, {})).toThrow(`(directory not found: ${outside}/missing)`);
  const savedPath = process.env.PATH;
  process.env.PATH = outside;
  try {
    expect(() => resolveBase(outside, {})).toThrow("(git not found on PATH)");
  } finally {
    process.env.PATH = savedPath;
  }
});

test("inside the .git directory is not a work tree", () => {
  const { repo } = threeCommits();
  expect(() => resolveBase(`${repo}/.git`, {})).toThrow(/not inside a git work tree/);
});
