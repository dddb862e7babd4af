import { expect, test } from "bun:test";
import { INCOMPLETE_LOCK_STALE_MS, lockIsStale } from "../../src/core/lock-staleness.ts";

const alive = () => true;
const dead = () => false;

test("a complete pid line is judged by its process; any lock by its age past the limit", () => {
  expect(lockIsStale("123\n", 10, 30_000, alive)).toBe(false);
  expect(lockIsStale("123\n", 10, 30_000, dead)).toBe(true);
  expect(lockIsStale("123\n", 30_001, 30_000, alive)).toBe(true);
});

test("an empty or partial lock is never judged by pid, and is stale only after a moment", () => {
  for (const content of ["", "12", "12\n3", "x\n"]) {
    expect(lockIsStale(content, INCOMPLETE_LOCK_STALE_MS - 1, 30_000, dead)).toBe(false);
    expect(lockIsStale(content, INCOMPLETE_LOCK_STALE_MS + 1, 30_000, alive)).toBe(true);
  }
});
