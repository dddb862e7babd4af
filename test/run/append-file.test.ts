import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AppendFile } from "../../src/run/append-file.ts";
import { useTempDirs } from "./fixtures/temp.ts";

const tempDir = useTempDirs();

describe("AppendFile", () => {
  test("keeps the order of lines of every size, awaited or not, multi-byte text included", async () => {
    const path = join(tempDir(), "deep/dir/log.ndjson");
    const file = new AppendFile(path);
    const expected: string[] = [];
    for (let i = 0; i < 400; i += 1) {
      const size = i % 37 === 0 ? 600_000 : i % 5 === 0 ? 70_000 : 100;
      const line = `${i}:${(i % 3 === 0 ? "€" : "x").repeat(size)}\n`;
      expected.push(line);
      const wait = file.write(line);
      if (i % 2 === 0 && wait) await wait;
    }
    await file.close();
    expect(readFileSync(path, "utf8")).toBe(expected.join(""));
  });

  test("appends to an existing file; flush makes lines visible; writes after close throw", async () => {
    const path = join(tempDir(), "log");
    writeFileSync(path, "old\n");
    const file = new AppendFile(path);
    file.write("a\n");
    await file.flush();
    expect(readFileSync(path, "utf8")).toBe("old\na\n");
    await file.close();
    expect(() => file.write("b\n")).toThrow("is closed");
  });

  test("a disk error surfaces on flush and close, later lines are dropped", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "parent"), ""); // a file where a directory should be
    const file = new AppendFile(join(dir, "parent/log"));
    expect(file.write("x\n")).toBeUndefined();
    await expect(file.flush()).rejects.toThrow();
    expect(file.write("y\n")).toBeUndefined();
    await expect(file.close()).rejects.toThrow();
  });
});
