import { expect, test } from "bun:test";
import { checkChecklistMirrors } from "../../src/guardrails/checklist-mirror.ts";
import { scratchDir } from "../helpers/cli.ts";
import { writeFiles } from "./git-fixture.ts";

const RUN = ".runs/0303-x/cli/2025-11-03T10-00-00-000Z-0123abcd/manifest.json";

const canonical = [
  "# Checklist 0303",
  `- [x] Build it; Evidence: \`${RUN}\``,
  "- [ ] Test it; Evidence: _(pending)._",
  "- [ ] Ship it",
  "",
].join("\n");

function tasksDoc(items: string): string {
  return [
    "# Task List Snapshot — Other (0202)",
    "Mirror of `tasks/tasks-0202-y.md`.",
    "- [x] Build it",
    "",
    "# Task List Snapshot — X (0303)",
    "Mirror status with `tasks/tasks-0303-x.md`.",
    items,
    "",
  ].join("\n");
}

const mirrorItems = `- [x] Build it; Evidence: \`${RUN}\`\n- [ ] Test it\n- [ ] Ship it`;

test("consistent checklist and mirrors pass", () => {
  const repo = scratchDir();
  writeFiles(repo, {
    "tasks/tasks-0303-x.md": canonical,
    "docs/TASKS.md": tasksDoc(mirrorItems),
    ".agent/task/0303-x.md": `# Mirror\n${mirrorItems}\n`,
  });
  expect(checkChecklistMirrors(repo)).toEqual([]);
});

test("no checklists: nothing to check", () => {
  expect(checkChecklistMirrors(scratchDir())).toEqual([]);
});

test("[x] without a manifest path, and missing mirrors", () => {
  const repo = scratchDir();
  writeFiles(repo, { "tasks/tasks-0303-x.md": "- [x] Done without evidence; Evidence: _(pending)._\n- [X] Also done — see run 42\n" });
  expect(checkChecklistMirrors(repo)).toEqual([
    'tasks/tasks-0303-x.md:1: [x] "Done without evidence" cites no run manifest (.runs/<task>/cli/<run-id>/manifest.json)',
    'tasks/tasks-0303-x.md:2: [x] "Also done — see run 42" cites no run manifest (.runs/<task>/cli/<run-id>/manifest.json)',
    "docs/TASKS.md: no section mirrors tasks/tasks-0303-x.md",
    ".agent/task/0303-x.md: missing mirror of tasks/tasks-0303-x.md",
  ]);
});

test("docs/TASKS.md without a section naming the checklist", () => {
  const repo = scratchDir();
  writeFiles(repo, {
    "tasks/tasks-0303-x.md": canonical,
    // Names a longer checklist file only: not a mention of tasks-0303-x.md.
    "docs/TASKS.md": "# Snapshot\nSee tasks/tasks-10303-x.md and xtasks-0303-x.md.\n- [x] Build it\n",
    ".agent/task/0303-x.md": mirrorItems,
  });
  expect(checkChecklistMirrors(repo)).toEqual(["docs/TASKS.md: no section mirrors tasks/tasks-0303-x.md"]);
});

test("state mismatch, missing item and extra item in each mirror, with line numbers", () => {
  const repo = scratchDir();
  writeFiles(repo, {
    "tasks/tasks-0303-x.md": canonical,
    // docs: "Build it" unchecked (line 7), "Test it" checked (line 8), "Ship it" missing, one extra item.
    "docs/TASKS.md": tasksDoc("- [ ] Build it\n- [x] Test it\n- [ ] Celebrate"),
    ".agent/task/0303-x.md": `# Mirror\n- [ ] Build it; Evidence: _(pending)._\n- [ ] Test it\n- [ ] Ship it\n- [x] Extra one`,
  });
  expect(checkChecklistMirrors(repo)).toEqual([
    'docs/TASKS.md:7: "Build it" is [ ] but tasks/tasks-0303-x.md:2 has [x]',
    'docs/TASKS.md:8: "Test it" is [x] but tasks/tasks-0303-x.md:3 has [ ]',
    'docs/TASKS.md: missing item "Ship it" of tasks/tasks-0303-x.md:4',
    'docs/TASKS.md:9: item "Celebrate" is not in tasks/tasks-0303-x.md',
    '.agent/task/0303-x.md:2: "Build it" is [ ] but tasks/tasks-0303-x.md:2 has [x]',
    '.agent/task/0303-x.md:5: item "Extra one" is not in tasks/tasks-0303-x.md',
  ]);
});

test("repeated labels pair up in order; long labels are shortened in messages", () => {
  const long = `Item ${"x".repeat(80)}`;
  const repo = scratchDir();
  writeFiles(repo, {
    "tasks/tasks-0303-x.md": `- [ ] Same\n- [ ] Same\n- [ ] ${long}\n`,
    "docs/TASKS.md": "# tasks-0303-x.md\n- [ ] Same\n- [x] Same\n",
    ".agent/task/0303-x.md": `- [ ] Same\n- [ ] Same\n- [ ] ${long}\n`,
  });
  expect(checkChecklistMirrors(repo)).toEqual([
    'docs/TASKS.md:3: "Same" is [x] but tasks/tasks-0303-x.md:2 has [ ]',
    `docs/TASKS.md: missing item "Item ${"x".repeat(54)}…" of tasks/tasks-0303-x.md:3`,
  ]);
});
