// The gate for tests that need a program npm cannot install (issue 14): run where it is, skipped with a recorded
// reason where it is not, a failure under CI=true. Checked by running a real test file under bun test in each case.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "./cli.ts";
import { findProgram } from "./needs-program.ts";

const helper = new URL("./needs-program.ts", import.meta.url).pathname;

function gatedFile(dir: string, program: string): string {
  const path = join(dir, "gated.test.ts");
  writeFileSync(
    path,
    `import { test } from "bun:test";
import { needsProgram } from ${JSON.stringify(helper)};
const gate = needsProgram(${JSON.stringify(program)}, "apt-get install the-package");
gate.describe("needs it", () => { test("one", () => {}); test("two", () => {}); });
gate.test("alone", () => {});
test("ungated", () => {});
`,
  );
  return path;
}

function runBunTest(file: string, env: Record<string, string>): { code: number; out: string } {
  const proc = Bun.spawnSync([process.execPath, "test", file], { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: proc.exitCode ?? 1, out: `${proc.stdout.toString()}${proc.stderr.toString()}` };
}

describe("needsProgram", () => {
  test("findProgram finds executables on PATH only", () => {
    expect(findProgram("sh")).not.toBeNull();
    expect(findProgram("sh", "/nonexistent")).toBeNull();
    expect(findProgram("no-such-program-xyz")).toBeNull();
  });

  test("present: the gated tests run", () => {
    const dir = scratchDir("co-gate-");
    const r = runBunTest(gatedFile(dir, "sh"), { CI: "", CODEX_ORCHESTRATOR_TEST_SKIPS_FILE: join(dir, "skips.ndjson") });
    expect(r.code).toBe(0);
    expect(r.out).toContain("4 pass");
    expect(existsSync(join(dir, "skips.ndjson"))).toBe(false);
  });

  test("missing outside CI: skipped, each block's reason recorded for the closing summary", () => {
    const dir = scratchDir("co-gate-");
    const r = runBunTest(gatedFile(dir, "no-such-program-xyz"), { CI: "", CODEX_ORCHESTRATOR_TEST_SKIPS_FILE: join(dir, "skips.ndjson") });
    expect(r.code).toBe(0);
    expect(r.out).toContain("1 pass");
    expect(r.out).toContain("3 skip");
    const records = readFileSync(join(dir, "skips.ndjson"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(records.map((x) => [x.kind, x.name, x.reason])).toEqual([
      ["describe", "needs it", "no-such-program-xyz not installed (apt-get install the-package)"],
      ["test", "alone", "no-such-program-xyz not installed (apt-get install the-package)"],
    ]);
    expect(records[0].file).toEndWith("gated.test.ts");
  });

  test("missing under CI=true: a failure that names the program, never a skip", () => {
    const dir = scratchDir("co-gate-");
    const r = runBunTest(gatedFile(dir, "no-such-program-xyz"), { CI: "true", CODEX_ORCHESTRATOR_TEST_SKIPS_FILE: join(dir, "skips.ndjson") });
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("no-such-program-xyz not installed (apt-get install the-package): required under CI=true");
    expect(r.out).toContain("2 fail");
    expect(r.out).not.toContain(" skip");
  });
});
