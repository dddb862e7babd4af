import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AppendFile } from "../../src/run/append-file.ts";
import { useTempDirs } from "./fixtures/temp.ts";
import { reportTmpfsSkip, tmpfsProbe, useTmpfs } from "./fixtures/tmpfs.ts";

const mountTmpfs = useTmpfs();

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

  test("writeParts: a line given in parts (text and bytes) is written whole and in order, whatever its size", async () => {
    const path = join(tempDir(), "parts.ndjson");
    const file = new AppendFile(path);
    const expected: string[] = [];
    const enc = new TextEncoder();
    for (let i = 0; i < 300; i += 1) {
      const size = i % 41 === 0 ? 700_000 : i % 7 === 0 ? 50_000 : 80;
      const body = (i % 4 === 0 ? "é€" : "y").repeat(size);
      expected.push(`{"i":${i},"data":"${body}"}\n`);
      const wait = i % 3 === 0 ? file.writeParts([`{"i":${i},"data":"`, enc.encode(body), '"}\n']) : file.write(expected[i] as string);
      if (i % 2 === 0 && wait) await wait;
    }
    await file.close();
    expect(readFileSync(path, "utf8")).toBe(expected.join(""));
  });

  test("writeParts copies its byte parts: the caller may reuse them at once", async () => {
    const path = join(tempDir(), "reuse.ndjson");
    const file = new AppendFile(path);
    const scratch = new TextEncoder().encode("aaaa");
    file.writeParts(["<", scratch, ">\n"]);
    scratch.fill(0x62);
    file.writeParts(["<", scratch, ">\n"]);
    await file.close();
    expect(readFileSync(path, "utf8")).toBe("<aaaa>\n<bbbb>\n");
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

describe("AppendFile on a full disk (issue 10, B2)", () => {
  reportTmpfsSkip("append-file.test.ts");

  /** Whole lines only: the text ends with a newline and every line is one of those written. */
  const expectWholeLines = (text: string, written: Set<string>) => {
    expect(text === "" || text.endsWith("\n")).toBe(true);
    for (const line of text.split("\n").slice(0, -1)) expect(written.has(line)).toBe(true);
  };

  test.skipIf(tmpfsProbe !== null)("a write that fills the disk is cut back to the last whole line; the error is kept and told once", async () => {
    const disk = mountTmpfs("128k");
    const path = join(disk, "log.ndjson");
    writeFileSync(path, "old line\n");
    const failures: unknown[] = [];
    const file = new AppendFile(path, (error) => failures.push(error));
    const written = new Set<string>(["old line"]);
    // Lines of 3001 bytes: 128 KiB is never a whole number of them, so the failing batch is always cut mid-line.
    for (let i = 0; i < 200 && failures.length === 0; i += 1) {
      const line = `${String(i).padStart(5, "0")}:${"x".repeat(2994)}`;
      written.add(line);
      // Every other line in parts, as output chunks are written (writeParts).
      const wait = i % 2 === 0 ? file.write(`${line}\n`) : file.writeParts([line.slice(0, 6), new TextEncoder().encode(line.slice(6)), "\n"]);
      if (wait) await wait;
    }
    await expect(file.flush()).rejects.toMatchObject({ code: "ENOSPC" });
    expect(failures).toHaveLength(1);
    expect((failures[0] as { code: string }).code).toBe("ENOSPC");
    expect(file.error).toBe(failures[0]);
    const text = readFileSync(path, "utf8");
    expect(text.startsWith("old line\n00000:")).toBe(true);
    expectWholeLines(text, written);
    expect(file.write("dropped\n")).toBeUndefined();
    await expect(file.close()).rejects.toMatchObject({ code: "ENOSPC" });
    expect(readFileSync(path, "utf8")).toBe(text);
    expect(failures).toHaveLength(1);
  });
});

describe("AppendFile.cutBack and stop", () => {
  test("cuts back to a line boundary at least n bytes before the end, and stops the file", async () => {
    const path = join(tempDir(), "log");
    const file = new AppendFile(path);
    const lines = Array.from({ length: 50 }, (_, i) => `${i}:${"y".repeat(97 + (i % 7))}\n`);
    for (const line of lines) file.write(line);
    await file.flush();
    const full = lines.join("");
    const cut = await file.cutBack(1000);
    expect(cut?.from).toBe(full.length);
    const kept = readFileSync(path, "utf8");
    expect(cut?.to).toBe(kept.length);
    expect(full.length - kept.length).toBeGreaterThanOrEqual(1000);
    // The largest whole-line prefix that frees 1000 bytes.
    const prefixes = lines.map((_, i) => lines.slice(0, i).join("")).filter((p) => full.length - p.length >= 1000);
    expect(kept).toBe(prefixes.at(-1) as string);
    // Stopped: later lines are dropped without an error.
    expect(file.write("late\n")).toBeUndefined();
    await file.close();
    expect(readFileSync(path, "utf8")).toBe(kept);
  });

  test("more than the file holds empties it; a missing or empty file is not cut", async () => {
    const dir = tempDir();
    const path = join(dir, "log");
    const file = new AppendFile(path);
    file.write("one\n");
    file.write("two\n");
    await file.flush();
    expect(await file.cutBack(1 << 20)).toEqual({ from: 8, to: 0 });
    expect(readFileSync(path, "utf8")).toBe("");
    expect(await file.cutBack(10)).toBeNull();
    await file.close();
    expect(await new AppendFile(join(dir, "never-written")).cutBack(10)).toBeNull();
  });

  test("stop() drops buffered and later lines without an error", async () => {
    const path = join(tempDir(), "log");
    const file = new AppendFile(path);
    file.write("kept\n");
    await file.flush();
    file.write("buffered, never written\n");
    file.stop();
    expect(file.write("later\n")).toBeUndefined();
    await file.close();
    expect(readFileSync(path, "utf8")).toBe("kept\n");
  });
});
