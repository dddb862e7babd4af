/**
 * Tests that need a program npm cannot install (bubblewrap, Chromium, …) (issue 14). Where the program is on PATH they
 * run as usual. Where it is missing they are skipped with a reason that `npm test` (scripts/test.ts) counts in its
 * closing line and lists once at the end — except under `CI=true`, where a missing program is a failure with that
 * reason, never a skip, so CI keeps proving the real backends (`.ci/run` installs them).
 *
 *   const bwrap = needsProgram("bwrap", "apt-get install bubblewrap");
 *   bwrap.describe("bubblewrap sandbox", () => { … });   // or bwrap.test(…)
 */
import { describe as bunDescribe, test as bunTest } from "bun:test";
import { accessSync, appendFileSync, constants, mkdirSync } from "node:fs";
import { delimiter, dirname, join, relative } from "node:path";
import { REPO_ROOT } from "./cli.ts";

/** Where the skip reasons of one `npm test` go (scripts/test.ts empties it first and reads it at the end). */
export const SKIPS_FILE = process.env.CODEX_ORCHESTRATOR_TEST_SKIPS_FILE ?? join(REPO_ROOT, ".test-results", "skips.ndjson");

/** One skipped describe block or test: matched against the junit report by file and name. */
export type SkipRecord = { file: string; kind: "describe" | "test"; name: string; reason: string };

/** The absolute path of `program` on PATH (or the path itself when it is one), or null. */
export function findProgram(program: string, path: string = process.env.PATH ?? ""): string | null {
  const candidates = program.includes("/") ? [program] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, program));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

/** The file of the test that called us (the caller's caller's frame), relative to the repository. */
function callerFile(): string {
  const stack = new Error().stack?.split("\n") ?? [];
  for (const line of stack) {
    const m = /(\/[^\s():]+\.test\.ts)/.exec(line);
    if (m !== null) return relative(REPO_ROOT, m[1] as string);
  }
  return "(unknown file)";
}

function recordSkip(record: SkipRecord): void {
  try {
    mkdirSync(dirname(SKIPS_FILE), { recursive: true });
    appendFileSync(SKIPS_FILE, `${JSON.stringify(record)}\n`);
  } catch {
    // Only the summary's wording depends on it; the skip itself stands.
  }
}

type Body = () => void | Promise<void>;

export type ProgramGate = {
  available: boolean;
  path: string | null;
  /** Why the gated tests do not run here (or fail under CI). */
  reason: string;
  describe: (name: string, fn: () => void) => void;
  test: (name: string, fn: Body, timeout?: number) => void;
};

export function needsProgram(program: string, installHint: string, env: Record<string, string | undefined> = process.env): ProgramGate {
  const path = findProgram(program, env.PATH ?? "");
  return gate(program, path, `${program} not installed (${installHint})`, env);
}

/**
 * Tests that need a kernel feature (Landlock, issue 15): run where it is there, else skipped with `reason` — a failure
 * under `CI=true`, like a missing program.
 */
export function needsFeature(feature: string, available: boolean, reason: string, env: Record<string, string | undefined> = process.env): ProgramGate {
  return gate(feature, available ? feature : null, reason, env);
}

function gate(program: string, path: string | null, reason: string, env: Record<string, string | undefined>): ProgramGate {
  if (path !== null) {
    return { available: true, path, reason, describe: (name, fn) => bunDescribe(name, fn), test: (name, fn, timeout) => bunTest(name, fn, timeout) };
  }
  if (env.CI === "true") {
    const fail = () => {
      throw new Error(`${reason}: required under CI=true (.ci/run installs it)`);
    };
    return {
      available: false,
      path,
      reason,
      describe: (name) => bunDescribe(name, () => bunTest(`needs ${program}`, fail)),
      test: (name) => bunTest(name, fail),
    };
  }
  return {
    available: false,
    path,
    reason,
    describe: (name, fn) => {
      recordSkip({ file: callerFile(), kind: "describe", name, reason });
      bunDescribe.skip(name, fn);
    },
    test: (name, fn, timeout) => {
      recordSkip({ file: callerFile(), kind: "test", name, reason });
      bunTest.skip(name, fn, timeout);
    },
  };
}
