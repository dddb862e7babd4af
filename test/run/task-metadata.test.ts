import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../../src/core/errors.ts";
import { loadTaskMetadata } from "../../src/run/task-metadata.ts";
import { useTempDirs } from "./fixtures/temp.ts";

const tempDir = useTempDirs();

function repoWithIndex(content: string): string {
  const repo = tempDir();
  mkdirSync(join(repo, "tasks"));
  writeFileSync(join(repo, "tasks/index.json"), content);
  return repo;
}

describe("task metadata (§3.4)", () => {
  test("missing file → defaults", async () => {
    expect(await loadTaskMetadata(tempDir(), "t1")).toEqual({ id: "t1", slug: "t1", title: "Task t1" });
  });

  test("the first matching item wins; no match → defaults", async () => {
    const repo = repoWithIndex(
      JSON.stringify({
        items: [
          "ignored",
          { id: "other", slug: "o", title: "O" },
          { id: "t1", slug: "first", title: "First", path: "x", gate: {} },
          { id: "t1", slug: "second", title: "Second" },
        ],
        specs: [],
      }),
    );
    expect(await loadTaskMetadata(repo, "t1")).toEqual({ id: "t1", slug: "first", title: "First" });
    expect(await loadTaskMetadata(repo, "t2")).toEqual({ id: "t2", slug: "t2", title: "Task t2" });
  });

  test.each([
    ["{", /^invalid JSON: /],
    ["{}", /^\/items: expected an array$/],
    ['{"items": {}}', /^\/items: expected an array$/],
    ['{"items": [{"id": "t1", "slug": 3, "title": "T"}]}', /^\/items\/0\/slug: /],
  ])("%p → Invalid task index (exit 2)", async (content, problem) => {
    const repo = repoWithIndex(content);
    const error = await loadTaskMetadata(repo, "t1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    const prefix = `Invalid task index ${join(repo, "tasks/index.json")}: `;
    expect((error as Error).message).toStartWith(prefix);
    expect((error as Error).message.slice(prefix.length)).toMatch(problem);
  });
});
