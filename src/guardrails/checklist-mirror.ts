import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type ChecklistItem, citedManifest, parseChecklist } from "./checklist.ts";
import { regularFiles } from "./regular-files.ts";

/**
 * The checklist mirror check (issue 9, SPEC §22): for every canonical checklist `tasks/tasks-<id>-<slug>.md`,
 * every `[x]` item cites a `.runs/<task>/cli/<run-id>/manifest.json` path, and its mirrors — the section of
 * `docs/TASKS.md` that names the checklist file, and `.agent/task/<id>-<slug>.md` — list the same items in the same
 * state. Items are matched by their text without checkbox and evidence. Returns the failure messages, in file order.
 */
export function checkChecklistMirrors(repo: string): string[] {
  const failures: string[] = [];
  const tasksDoc = readText(join(repo, "docs/TASKS.md"));
  for (const name of checklistFiles(repo)) {
    const stem = name.slice("tasks-".length, -".md".length);
    const canonicalPath = `tasks/${name}`;
    const canonical = parseChecklist(readText(join(repo, canonicalPath)) ?? "");

    for (const item of canonical) {
      if (item.checked && citedManifest(item.text) === null) {
        failures.push(
          `${canonicalPath}:${item.line}: [x] ${quote(item.label)} cites no run manifest (.runs/<task>/cli/<run-id>/manifest.json)`,
        );
      }
    }

    const section = tasksDoc === null ? null : sectionNaming(tasksDoc, name);
    if (section === null) failures.push(`docs/TASKS.md: no section mirrors ${canonicalPath}`);
    else failures.push(...compareMirror(canonicalPath, canonical, "docs/TASKS.md", section));

    const agentPath = `.agent/task/${stem}.md`;
    const agentDoc = readText(join(repo, agentPath));
    if (agentDoc === null) failures.push(`${agentPath}: missing mirror of ${canonicalPath}`);
    else failures.push(...compareMirror(canonicalPath, canonical, agentPath, parseChecklist(agentDoc)));
  }
  return failures;
}

/** Pairs mirror items with canonical ones by label (in order, so repeated labels pair up one by one). */
function compareMirror(
  canonicalPath: string,
  canonical: readonly ChecklistItem[],
  mirrorPath: string,
  mirror: readonly ChecklistItem[],
): string[] {
  const failures: string[] = [];
  const unmatched = [...mirror];
  for (const item of canonical) {
    const at = unmatched.findIndex((candidate) => candidate.label === item.label);
    if (at === -1) {
      failures.push(`${mirrorPath}: missing item ${quote(item.label)} of ${canonicalPath}:${item.line}`);
      continue;
    }
    const [twin] = unmatched.splice(at, 1) as [ChecklistItem];
    if (twin.checked !== item.checked) {
      failures.push(
        `${mirrorPath}:${twin.line}: ${quote(item.label)} is ${box(twin.checked)} but ${canonicalPath}:${item.line} has ${box(item.checked)}`,
      );
    }
  }
  for (const extra of unmatched) {
    failures.push(`${mirrorPath}:${extra.line}: item ${quote(extra.label)} is not in ${canonicalPath}`);
  }
  return failures;
}

/**
 * The items of the `docs/TASKS.md` section (from one `# ` heading to the next) whose text names the checklist file,
 * with line numbers of the whole document; null when no section does.
 */
function sectionNaming(markdown: string, checklistName: string): ChecklistItem[] | null {
  const lines = markdown.split("\n");
  const starts: number[] = [0];
  let inFence = false;
  lines.forEach((line, index) => {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    else if (!inFence && index > 0 && line.startsWith("# ")) starts.push(index);
  });
  const mention = new RegExp(`(^|[^A-Za-z0-9._-])${escapeRegExp(checklistName)}`);
  for (let s = 0; s < starts.length; s++) {
    const from = starts[s] as number;
    const text = lines.slice(from, starts[s + 1] ?? lines.length).join("\n");
    if (!mention.test(text)) continue;
    return parseChecklist(text).map((item) => ({ ...item, line: item.line + from }));
  }
  return null;
}

/** `tasks-*.md` regular files directly under `tasks/`, sorted. */
function checklistFiles(repo: string): string[] {
  return regularFiles(join(repo, "tasks"), (name) => name.startsWith("tasks-") && name.endsWith(".md") && name.length > "tasks-.md".length);
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

function quote(label: string): string {
  return `"${label.length > 60 ? `${label.slice(0, 59)}…` : label}"`;
}

function box(checked: boolean): string {
  return checked ? "[x]" : "[ ]";
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
