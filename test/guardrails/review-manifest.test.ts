import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadReviewFacts, renderReviewFacts } from "../../src/guardrails/review-manifest.ts";
import { scratchDir } from "../helpers/cli.ts";

function file(content: string): string {
  const path = join(scratchDir(), "manifest.json");
  writeFileSync(path, content);
  return path;
}

test("snake_case and camelCase manifests; missing fields read unknown", () => {
  expect(loadReviewFacts(file('{"task_id":"t1","run_id":"r","status":"failed","summary":"a\\nb"}'))).toEqual({
    task: "t1",
    runId: "r",
    status: "failed",
    summary: "a\nb",
  });
  expect(loadReviewFacts(file('{"taskId":"t2","runId":"r2","summary":null}'))).toEqual({
    task: "t2",
    runId: "r2",
    status: "unknown",
    summary: null,
  });
  expect(loadReviewFacts(file("{}"))).toEqual({ task: "unknown", runId: "unknown", status: "unknown", summary: null });
});

test("load errors name the path and the problem", () => {
  const dir = scratchDir();
  expect(() => loadReviewFacts(join(dir, "missing.json"))).toThrow(
    new RegExp(`^Failed to load manifest at ${dir}/missing.json: .*ENOENT`),
  );
  const bad = file("{not json");
  expect(() => loadReviewFacts(bad)).toThrow(`Failed to load manifest at ${bad}: `);
  const scalar = file("42");
  expect(() => loadReviewFacts(scalar)).toThrow(`Failed to load manifest at ${scalar}: expected a JSON object`);
});

test("rendered block: header, indented summary lines, (no summary)", () => {
  const facts = { task: "t1", runId: "r", status: "succeeded", summary: "line 1\nline 2" };
  expect(renderReviewFacts(facts)).toBe(
    "\nTask:    t1\nRun ID:  r\nStatus:  succeeded\n\nSummary:\n  line 1\n  line 2\n\n",
  );
  expect(renderReviewFacts({ ...facts, summary: null })).toContain("Summary:\n  (no summary)\n\n");
});
