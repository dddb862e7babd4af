import { expect, test } from "bun:test";
import { citedManifest, parseChecklist } from "../../src/guardrails/checklist.ts";

const RUN = ".runs/0303-orchestrator-autonomy/cli/2025-11-03T10-00-00-000Z-0123abcd/manifest.json";

test("both checklist styles, labels without checkbox and evidence, fenced blocks skipped", () => {
  const doc = [
    "# Title",
    "Each `[x]` entry must cite the manifest path.",
    "- [ ] Synchronize collateral — `tasks/index.json`; Evidence: _(pending)._",
    `  * [x] Nested   item; Evidence: \`${RUN}\`.`,
    `- Documentation Sync — \`[X]\` Collateral references Task 0202; Evidence: \`${RUN}\`.`,
    "1. [ ] Numbered item.",
    "- plain bullet without a box",
    "```md",
    "- [x] example inside a fence",
    "```",
    "- [] not a checkbox",
    "- **Rule:** an item turns `[x]` only with evidence",
  ].join("\r\n");
  const items = parseChecklist(doc);
  expect(items.map(({ line, checked, label }) => ({ line, checked, label }))).toEqual([
    { line: 3, checked: false, label: "Synchronize collateral — `tasks/index.json`" },
    { line: 4, checked: true, label: "Nested item" },
    { line: 5, checked: true, label: "Documentation Sync — Collateral references Task 0202" },
    { line: 6, checked: false, label: "Numbered item" },
  ]);
  expect(citedManifest(items[1]?.text ?? "")).toBe(RUN);
  expect(citedManifest(items[0]?.text ?? "")).toBeNull();
});

test("only a well-formed manifest path counts as evidence", () => {
  expect(citedManifest(`see ${RUN}`)).toBe(RUN);
  expect(citedManifest(".runs/t/cli/<run-id>/manifest.json")).toBeNull();
  expect(citedManifest(".runs/t/2025-11-03T10-00-00-000Z-0123abcd/manifest.json")).toBeNull();
  expect(citedManifest(".runs/t/cli/2025-11-03T10-00-00-000Z-0123ABCD/manifest.json")).toBeNull();
  expect(citedManifest(".runs/t/cli/2025-11-03T10-00-00-000Z-0123abcd/run-summary.json")).toBeNull();
});
