/** One checklist item of a Markdown task list. */
export type ChecklistItem = {
  /** 1-based line number. */
  line: number;
  checked: boolean;
  /** The item text without its checkbox and evidence, whitespace collapsed: how mirrors are matched. */
  label: string;
  /** The whole line, for evidence lookup. */
  text: string;
};

// A list item whose content starts with a checkbox (`- [x] Do it`), or a label, a dash and a backticked checkbox
// (`- Do it — `[x]` details`). A backticked box elsewhere is prose ("an item turns `[x]` only with …").
const LIST_ITEM = /^\s*(?:[-*+]|\d+[.)])\s+(.*)$/;
const LEADING_BOX = /^\[([ xX])\]\s*/;
const BACKTICKED_BOX = /^([^`]*?)\s+[—–-]\s+`\[([ xX])\]`/;

/**
 * The checklist items of a Markdown document, in order. Fenced code blocks are skipped so templates can show example
 * items without them counting.
 */
export function parseChecklist(markdown: string): ChecklistItem[] {
  const items: ChecklistItem[] = [];
  let fence: string | null = null;
  markdown.split("\n").forEach((raw, index) => {
    const line = raw.replace(/\r$/, "");
    const fenceMatch = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fenceMatch !== null) {
      const marker = fenceMatch[1] as string;
      if (fence === null) fence = marker[0] as string;
      else if (marker[0] === fence) fence = null;
      return;
    }
    if (fence !== null) return;
    const content = LIST_ITEM.exec(line)?.[1];
    if (content === undefined) return;
    const leading = LEADING_BOX.exec(content);
    if (leading !== null) {
      const label = itemLabel(content.slice(leading[0].length));
      items.push({ line: index + 1, checked: leading[1] !== " ", label, text: line });
      return;
    }
    const labelled = BACKTICKED_BOX.exec(content);
    if (labelled === null) return;
    const label = itemLabel(`${labelled[1]} — ${content.slice(labelled[0].length)}`);
    items.push({ line: index + 1, checked: labelled[2] !== " ", label, text: line });
  });
  return items;
}

/** Item text minus its `Evidence:` tail, whitespace collapsed, trailing separators dropped. */
function itemLabel(text: string): string {
  const evidence = text.search(/\bEvidence:/i);
  const head = evidence === -1 ? text : text.slice(0, evidence);
  return head
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[\s;,.:—-]+$/u, "")
    .trim();
}

const MANIFEST_EVIDENCE =
  /\.runs\/[A-Za-z0-9][A-Za-z0-9._-]{0,127}\/cli\/\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-[0-9a-f]{8}\/manifest\.json/;

/** The `.runs/<task>/cli/<run-id>/manifest.json` path an item cites as evidence, or null. */
export function citedManifest(text: string): string | null {
  return MANIFEST_EVIDENCE.exec(text)?.[0] ?? null;
}
