import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as v from "valibot";
import { UsageError, errorMessage } from "../core/errors.ts";

/** `tasks/index.json`: only `items[]` matters to the CLI; other keys are ignored (SPEC §3.4, §22). */
const TaskIndex = v.looseObject({ items: v.array(v.unknown()) });
const TaskIndexItem = v.looseObject({ id: v.string(), slug: v.string(), title: v.string() });

export type TaskMetadata = { id: string; slug: string; title: string };

function pointerOf(issue: v.BaseIssue<unknown>, prefix: string): string {
  const keys = (issue.path ?? []).map((item) => String(item.key).replace(/~/g, "~0").replace(/\//g, "~1"));
  return `${prefix}${keys.map((k) => `/${k}`).join("")}`;
}

/**
 * Task metadata from `<repo>/tasks/index.json`: the first item whose `id` equals the task id; a missing file or no
 * match gives `{id, slug: id, title: "Task <id>"}`. Invalid JSON, no `items` array, or a matching item without string
 * `slug`/`title` → UsageError `Invalid task index <abs path>: <problem>` (exit 2).
 */
export async function loadTaskMetadata(repo: string, taskId: string): Promise<TaskMetadata> {
  const path = join(repo, "tasks", "index.json");
  const fail = (problem: string, cause?: unknown) =>
    new UsageError(`Invalid task index ${path}: ${problem}`, cause === undefined ? undefined : { cause });
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { id: taskId, slug: taskId, title: `Task ${taskId}` };
    throw fail(errorMessage(error), error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw fail(`invalid JSON: ${errorMessage(error)}`, error);
  }
  const index = v.safeParse(TaskIndex, parsed);
  if (!index.success) throw fail(`/items: expected an array`);
  for (const [i, item] of index.output.items.entries()) {
    if (typeof item !== "object" || item === null || (item as { id?: unknown }).id !== taskId) continue;
    const entry = v.safeParse(TaskIndexItem, item);
    if (!entry.success) {
      const issue = entry.issues[0];
      throw fail(`${pointerOf(issue, `/items/${i}`)}: ${issue.message}`);
    }
    return { id: entry.output.id, slug: entry.output.slug, title: entry.output.title };
  }
  return { id: taskId, slug: taskId, title: `Task ${taskId}` };
}
