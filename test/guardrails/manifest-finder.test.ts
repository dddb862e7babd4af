import { expect, test } from "bun:test";
import { chmodSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { findLatestManifest } from "../../src/guardrails/manifest-finder.ts";
import { scratchDir } from "../helpers/cli.ts";

function manifest(runs: string, rel: string, mtimeSec: number): string {
  const path = join(runs, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, "{}");
  utimesSync(path, mtimeSec, mtimeSec);
  return path;
}

test("newest by mtime across tasks, older store layout for tasks without cli/", () => {
  const runs = scratchDir();
  manifest(runs, "t1/cli/r1/manifest.json", 1000);
  const newest = manifest(runs, "t2/cli/r2/manifest.json", 3000);
  const legacy = manifest(runs, "old/r9/manifest.json", 2000);
  manifest(runs, "t1/r5/manifest.json", 9000); // t1 has cli/: this older-layout file is not considered
  writeFileSync(join(runs, "metrics.json"), "");
  expect(findLatestManifest(runs)).toBe(newest);
  expect(findLatestManifest(runs, "t1")).toBe(join(runs, "t1/cli/r1/manifest.json"));
  expect(findLatestManifest(runs, "old")).toBe(legacy);
  expect(findLatestManifest(runs, "missing")).toBeNull();
  expect(findLatestManifest(join(runs, "nowhere"))).toBeNull();
});

test("a run directory without manifest is skipped; an unreadable mtime counts as 0", () => {
  const runs = scratchDir();
  mkdirSync(join(runs, "t1/cli/empty-run"), { recursive: true });
  expect(findLatestManifest(runs)).toBeNull();
  const readable = manifest(runs, "t1/cli/r1/manifest.json", 5);
  const hidden = manifest(runs, "t1/cli/r2/manifest.json", 50_000);
  chmodSync(dirname(hidden), 0o600); // no search permission: stat fails with EACCES (unless we are root)
  try {
    const expected = process.getuid?.() === 0 ? hidden : readable;
    expect(findLatestManifest(runs)).toBe(expected);
  } finally {
    chmodSync(dirname(hidden), 0o755);
  }
});
