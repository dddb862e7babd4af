import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../src/platform/atomic-write.ts";
import { prettyJson, writeJsonAtomic } from "../../src/run/atomic-write.ts";
import { useTempDirs } from "./fixtures/temp.ts";

const tempDir = useTempDirs();

describe("atomic writes", () => {
  test("creates parent directories; JSON is pretty with a trailing newline unless asked otherwise", async () => {
    const dir = tempDir();
    await writeJsonAtomic(join(dir, "a/b/m.json"), { x: 1, y: [true] });
    expect(readFileSync(join(dir, "a/b/m.json"), "utf8")).toBe('{\n  "x": 1,\n  "y": [\n    true\n  ]\n}\n');
    await writeJsonAtomic(join(dir, "state.json"), { taskId: "t" }, { trailingNewline: false });
    expect(readFileSync(join(dir, "state.json"), "utf8")).toBe('{\n  "taskId": "t"\n}');
    expect(prettyJson([], false)).toBe("[]");
  });

  test("replaces the file and leaves no temporary file behind", async () => {
    const dir = tempDir();
    const path = join(dir, ".heartbeat");
    writeFileSync(path, "old\n");
    await writeFileAtomic(path, "new\n");
    expect(readFileSync(path, "utf8")).toBe("new\n");
    expect(readdirSync(dir)).toEqual([".heartbeat"]);
  });

  test("concurrent readers only ever see a complete old or new file", async () => {
    const dir = tempDir();
    const path = join(dir, "m.json");
    const big = (n: number) => ({ n, pad: "x".repeat(200_000) });
    await writeJsonAtomic(path, big(0));
    let reading = true;
    let reads = 0;
    const reader = (async () => {
      while (reading) {
        const value = JSON.parse(readFileSync(path, "utf8")) as { n: number; pad: string };
        expect(value.pad.length).toBe(200_000);
        reads += 1;
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 1; i <= 30; i += 1) await writeJsonAtomic(path, big(i));
    reading = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect((JSON.parse(readFileSync(path, "utf8")) as { n: number }).n).toBe(30);
  });

  test("a failed write keeps the old file and removes its temporary file", async () => {
    const dir = tempDir();
    const path = join(dir, "target");
    mkdirSync(path); // a directory where the file should go: rename fails
    writeFileSync(join(path, "keep"), "x");
    await expect(writeFileAtomic(path, "data")).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(["target"]);
    expect(readFileSync(join(path, "keep"), "utf8")).toBe("x");
  });

  test("an unwritable directory fails without leaving anything", async () => {
    if (process.getuid?.() === 0) return; // root ignores permissions
    const dir = tempDir();
    const locked = join(dir, "locked");
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    try {
      await expect(writeFileAtomic(join(locked, "f.json"), "{}")).rejects.toThrow(/EACCES/);
      expect(readdirSync(locked)).toEqual([]);
    } finally {
      chmodSync(locked, 0o700);
    }
  });
});
