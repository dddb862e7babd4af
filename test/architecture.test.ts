/**
 * The layer rule and "no import cycles" (issue 16), checked on the source itself. The layer table is read from
 * docs/architecture.md, so the document stays the one source of the rule: a new folder, or an import the table does
 * not allow, fails here until the table says so.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(import.meta.dir, "..");
const src = join(root, "src");

/** `folder → folders it may import`, from the table rows "| `src/x/` | … | core, run |". */
export function layerTable(markdown: string): Map<string, Set<string>> {
  const table = new Map<string, Set<string>>();
  for (const line of markdown.split("\n")) {
    const m = /^\|\s*`src\/([a-z-]+)\/`\s*\|[^|]*\|([^|]*)\|\s*$/.exec(line);
    if (m === null) continue;
    const allowed = new Set<string>();
    for (const word of (m[2] ?? "").split(",")) {
      const name = word.trim().replace(/`/g, "");
      if (/^[a-z-]+$/.test(name)) allowed.add(name);
    }
    table.set(m[1] as string, allowed);
  }
  return table;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** Relative specifiers a file imports: static, type-only, re-exports and dynamic `import()`. */
export function importsOf(text: string): string[] {
  const found: string[] = [];
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const patterns = [/\bfrom\s+"(\.[^"]+)"/g, /\bimport\s+"(\.[^"]+)"/g, /\bimport\(\s*"(\.[^"]+)"\s*\)/g];
  for (const re of patterns) for (const m of code.matchAll(re)) found.push(m[1] as string);
  return found;
}

/** The folder a source file belongs to (`main.ts` is the entry point, above every layer). */
function folderOf(file: string): string {
  const rel = relative(src, file);
  return rel.includes("/") ? (rel.split("/")[0] as string) : "main";
}

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(src)) {
    const targets = importsOf(readFileSync(file, "utf8")).map((spec) => resolve(dirname(file), spec));
    graph.set(file, targets);
  }
  return graph;
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe("architecture (docs/architecture.md)", () => {
  const table = layerTable(readFileSync(join(root, "docs/architecture.md"), "utf8"));
  const graph = importGraph();

  test("the layer table lists every folder of src/", () => {
    expect(table.size).toBeGreaterThan(5);
    const folders = new Set([...graph.keys()].map(folderOf).filter((f) => f !== "main"));
    const missing = [...folders].filter((f) => !table.has(f));
    expect(missing).toEqual([]);
  });

  test("every import points down the layer table", () => {
    const wrong: string[] = [];
    for (const [file, targets] of graph) {
      const from = folderOf(file);
      if (from === "main") continue;
      for (const target of targets) {
        if (!target.startsWith(`${src}/`)) continue;
        const to = folderOf(target);
        if (to === from || table.get(from)?.has(to) === true) continue;
        wrong.push(`${relative(root, file)} imports ${relative(root, target)} (${from} may not import ${to})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  test("no import cycles (type-only and dynamic imports included)", () => {
    const found = cycles(graph).map((c) => c.map((f) => relative(root, f)).join(" ↔ "));
    expect(found).toEqual([]);
  });

  test("Bun.* and bun: modules only in src/exec/ (and build.ts)", () => {
    const wrong: string[] = [];
    for (const file of graph.keys()) {
      if (folderOf(file) === "exec") continue;
      const code = readFileSync(file, "utf8").replace(/^\s*(\/\/|\*).*$/gm, "");
      if (/\bBun\.[a-zA-Z]/.test(code) || /from\s+"bun:/.test(code)) wrong.push(relative(root, file));
    }
    expect(wrong).toEqual([]);
  });

  test("the checks themselves catch a wrong import and a cycle", () => {
    const a = join(src, "core/a.ts");
    const b = join(src, "core/b.ts");
    expect(cycles(new Map([[a, [b]], [b, [a]]]))).toEqual([[a, b]]);
    expect(cycles(new Map([[a, [b]], [b, []]]))).toEqual([]);
    expect(importsOf('import type { X } from "./x.ts";\nconst m = await import("../y.ts");\n// import "./z.ts"')).toEqual(["./x.ts", "../y.ts"]);
    expect(layerTable("| `src/run/` | paths | core |\n| `src/cli/` | commands | everything, `run` |")).toEqual(
      new Map([["run", new Set(["core"])], ["cli", new Set(["everything", "run"])]]),
    );
  });
});
