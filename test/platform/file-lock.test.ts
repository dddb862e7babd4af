import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, renameSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { acquireLock, LockBusyError, lockBackoffMs, withLock } from "../../src/platform/file-lock.ts";
import { metricsLockMessage } from "../../src/run/metrics-file.ts";
import { taskStateLockMessage } from "../../src/run/task-state.ts";
import { useTempDirs } from "../run/fixtures/temp.ts";

const tempDir = useTempDirs();

/** A pid that certainly belongs to no live process: a child that has already exited. */
async function deadPid(): Promise<number> {
  const child = Bun.spawn(["true"]);
  await child.exited;
  return child.pid;
}

describe("lock files", () => {
  test("holds `<pid>\\n` while held and is removed on release", async () => {
    const path = join(tempDir(), "sub/x.lock");
    const seen = await withLock(path, { busyMessage: "busy" }, async () => readFileSync(path, "utf8"));
    expect(seen).toBe(`${process.pid}\n`);
    expect(existsSync(path)).toBe(false);
  });

  test("released even when the guarded work throws", async () => {
    const path = join(tempDir(), "x.lock");
    await expect(
      withLock(path, { busyMessage: "busy" }, async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(existsSync(path)).toBe(false);
  });

  test("backoff is 100, 200, 400, 800 ms (×2, capped at 1000)", () => {
    expect([1, 2, 3, 4, 5, 6].map(lockBackoffMs)).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  test("a live holder: 5 attempts, 4 sleeps, then the exact message; the lock is left alone", async () => {
    const path = join(tempDir(), "t1.lock");
    writeFileSync(path, `${process.pid}\n`);
    const sleeps: number[] = [];
    const error = await acquireLock(path, {
      busyMessage: taskStateLockMessage("t1"),
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockBusyError);
    expect((error as Error).message).toBe("Failed to acquire task state lock for t1 after 5 attempts");
    expect(sleeps).toEqual([100, 200, 400, 800]);
    expect(readFileSync(path, "utf8")).toBe(`${process.pid}\n`);
  });

  test("a live process holding the lock (real sleeps): all attempts fail, the lock is left alone", async () => {
    const holder = Bun.spawn(["sleep", "30"]);
    try {
      const path = join(tempDir(), "metrics.json.lock");
      writeFileSync(path, `${holder.pid}\n`);
      // The back-off between the attempts is checked above with an injected sleep; here the real one runs.
      await expect(acquireLock(path, { busyMessage: metricsLockMessage("t1") })).rejects.toThrow(
        "Failed to acquire metrics lock for t1 after 5 attempts",
      );
      expect(readFileSync(path, "utf8")).toBe(`${holder.pid}\n`);
    } finally {
      holder.kill("SIGKILL");
    }
  });

  test("a lock of a dead pid is broken at once, without counting an attempt", async () => {
    const path = join(tempDir(), "t1.lock");
    writeFileSync(path, `${await deadPid()}\n`);
    const sleeps: number[] = [];
    const lock = await acquireLock(path, { busyMessage: "busy", sleep: async (ms) => void sleeps.push(ms) });
    expect(sleeps).toEqual([]);
    expect(readFileSync(path, "utf8")).toBe(`${process.pid}\n`);
    await lock.release();
    expect(existsSync(path)).toBe(false);
  });

  test("a lock older than 30 s is broken even if its pid is alive", async () => {
    const path = join(tempDir(), "t1.lock");
    writeFileSync(path, `${process.pid}\n`);
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(path, old, old);
    const lock = await acquireLock(path, { busyMessage: "busy", sleep: async () => {} });
    await lock.release();
    expect(existsSync(path)).toBe(false);
  });

  test("a fresh lock without a complete pid line is never judged by pid (its holder may still be writing)", async () => {
    const path = join(tempDir(), "t1.lock");
    writeFileSync(path, "");
    await expect(
      acquireLock(path, { busyMessage: "busy", sleep: async () => {}, isAlive: () => false }),
    ).rejects.toThrow("busy");
    expect(existsSync(path)).toBe(true);
  });

  test("a lock without a complete pid line older than 1 s is stale (its holder was killed while writing it)", async () => {
    const path = join(tempDir(), "t1.lock");
    writeFileSync(path, "12");
    const old = (Date.now() - 1500) / 1000;
    utimesSync(path, old, old);
    const lock = await acquireLock(path, { busyMessage: "busy", sleep: async () => {}, isAlive: () => true });
    expect(readFileSync(path, "utf8")).toBe(`${process.pid}\n`);
    await lock.release();
  });

  test("a stale lock replaced by a live holder before removal is not removed", async () => {
    const dir = tempDir();
    const path = join(dir, "t1.lock");
    writeFileSync(path, "999999\n");
    let swapped = false;
    const error = await acquireLock(path, {
      busyMessage: "busy",
      sleep: async () => {},
      // While we judge the old lock, a live holder replaces it (a new file, so a new inode).
      isAlive: (pid) => {
        if (pid === 999999 && !swapped) {
          swapped = true;
          writeFileSync(join(dir, "new"), `${process.pid}\n`);
          renameSync(join(dir, "new"), path);
          return false;
        }
        return true;
      },
    }).catch((e: unknown) => e);
    expect(swapped).toBe(true);
    expect((error as Error).message).toBe("busy");
    expect(readFileSync(path, "utf8")).toBe(`${process.pid}\n`);
  });

  test("release does not remove a lock that someone else now holds", async () => {
    const dir = tempDir();
    const path = join(dir, "t1.lock");
    const lock = await acquireLock(path, { busyMessage: "busy" });
    writeFileSync(join(dir, "other"), "12345\n");
    renameSync(join(dir, "other"), path);
    await lock.release();
    expect(readFileSync(path, "utf8")).toBe("12345\n");
  });

  test("other errors fail at once", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "file"), "");
    await expect(acquireLock(join(dir, "file/x.lock"), { busyMessage: "busy" })).rejects.toThrow(/ENOTDIR|EEXIST/);
  });
});
