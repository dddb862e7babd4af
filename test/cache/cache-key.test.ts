import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fingerprintChange, fingerprintOf, type KeyInput, keyOf } from "../../src/cache/cache-key.ts";
import { matchFiles } from "../../src/cache/input-files.ts";
import { scratchDir } from "../helpers/cli.ts";

function tree(files: Record<string, string>): string {
  const dir = scratchDir("co-cache-key-");
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const input = (cwd: string, over: Partial<KeyInput> = {}): KeyInput => ({
  command: "make",
  cwd,
  cwdFromRepo: "",
  env: { MODE: "fast", API_TOKEN: "hunter2-secret" },
  inputPatterns: ["src/**"],
  outputPatterns: ["out/*"],
  needs: {},
  sandbox: null,
  network: false,
  version: "0.2.0",
  ...over,
});

describe("cache keys (issue 18)", () => {
  test("the key depends on content, not on the order the env was written in; values are stored as digests only", () => {
    const dir = tree({ "src/a.c": "a", "src/b/c.c": "c" });
    const one = fingerprintOf(input(dir));
    const reordered = fingerprintOf(input(dir, { env: { API_TOKEN: "hunter2-secret", MODE: "fast" } }));
    expect(keyOf(one)).toBe(keyOf(reordered));
    expect(keyOf(one)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(JSON.stringify(one)).not.toContain("hunter2");
    expect(JSON.stringify(one)).not.toContain("fast");
    expect(Object.keys(one.inputs)).toEqual(["src/a.c", "src/b/c.c"]);
    expect(one.cwd).toBe(".");
  });

  test("each part changes the key, and the change is named", () => {
    const dir = tree({ "src/a.c": "a" });
    const base = fingerprintOf(input(dir));
    const cases: [Partial<KeyInput>, string][] = [
      [{ command: "make all" }, "command changed"],
      [{ env: { MODE: "slow", API_TOKEN: "hunter2-secret" } }, "env MODE changed"],
      [{ env: { MODE: "fast" } }, "env API_TOKEN removed"],
      [{ needs: { build: "sha256:x" } }, "needs build added"],
      [{ sandbox: "read-only" }, "sandbox changed"],
      [{ version: "0.3.0" }, "tool version changed (0.2.0 → 0.3.0)"],
      [{ cwdFromRepo: "pkg" }, "cwd changed (. → pkg)"],
      [{ outputPatterns: ["dist/*"] }, "outputs patterns changed"],
    ];
    for (const [over, reason] of cases) {
      const other = fingerprintOf(input(dir, over));
      expect(keyOf(other)).not.toBe(keyOf(base));
      expect(fingerprintChange(base, other)).toBe(reason);
    }
    writeFileSync(join(dir, "src/a.c"), "changed");
    writeFileSync(join(dir, "src/new.c"), "new");
    expect(fingerprintChange(base, fingerprintOf(input(dir)))).toBe("input src/a.c changed; input src/new.c added");
  });

  test("a long list of changes names five and counts the rest", () => {
    const dir = tree(Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`src/${i}.c`, "x"])));
    const before = fingerprintOf(input(dir));
    for (let i = 0; i < 8; i++) writeFileSync(join(dir, `src/${i}.c`), "y");
    expect(fingerprintChange(before, fingerprintOf(input(dir)))).toMatch(/^(input src\/\d\.c changed; ){4}input src\/\d\.c changed; and 3 more$/);
  });

  test("only regular files match, sorted; a missing cwd matches nothing", () => {
    const dir = tree({ "a/x.txt": "1", "a/y.md": "2", "b.txt": "3" });
    expect(matchFiles(dir, ["**/*.txt"])).toEqual(["a/x.txt", "b.txt"]);
    expect(matchFiles(dir, ["a"])).toEqual([]);
    expect(matchFiles(join(dir, "nope"), ["*"])).toEqual([]);
  });
});
