import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withFileLock } from "../../src/autonomy/file-lock.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function lockPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "co-file-lock-"));
  dirs.push(dir);
  return join(dir, "approvals.json.lock");
}

test("an empty lock left by a holder killed before writing its pid is broken once it is a second old", async () => {
  const path = lockPath();
  writeFileSync(path, "");
  const old = (Date.now() - 1500) / 1000;
  utimesSync(path, old, old);
  const seen = await withFileLock(path, async () => readFileSync(path, "utf8"), { timeoutMs: 500 });
  expect(seen).toBe(`${process.pid}\n`);
});

test("a fresh partial lock is waited for, not judged by the pid it might be writing", async () => {
  const path = lockPath();
  // No newline yet: the holder may still be writing its pid, so the digits may be a prefix of a live pid. Judged by
  // pid (as this lock once was), 99999999 would count as dead and a live holder's lock would be broken.
  writeFileSync(path, "99999999");
  await expect(withFileLock(path, async () => "held", { timeoutMs: 300 })).rejects.toThrow(/Timed out waiting for the lock/);
  expect(readFileSync(path, "utf8")).toBe("99999999");
});
