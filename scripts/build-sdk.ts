/**
 * Builds the SDK for the package's `exports["./sdk"]`: `dist/sdk/index.js` (one ESM bundle for Node ≥ 20, Bun and
 * Deno, valibot inlined — the published package has no runtime dependencies) and `dist/sdk/index.d.ts`, which
 * re-exports the declarations `tsc --emitDeclarationOnly` writes under `dist/sdk/types/` (valibot's own declarations
 * are copied beside them, so type-checking a consumer needs nothing but the package).
 *
 *   bun run scripts/build-sdk.ts                      → dist/sdk/
 *   bun run scripts/build-sdk.ts --outdir /tmp/x/sdk  (a private build for tests)
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";

const ROOT = resolve(import.meta.dir, "..");
const ENTRY = join(ROOT, "src/sdk/index.ts");

export async function buildSdk(outdir: string): Promise<{ js: string; dts: string }> {
  const out = resolve(outdir);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  const result = await Bun.build({
    entrypoints: [ENTRY],
    outdir: out,
    naming: "index.js",
    target: "node",
    format: "esm",
    minify: false,
    sourcemap: "none",
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    throw new Error("SDK bundle failed");
  }
  emitDeclarations(out);
  return { js: join(out, "index.js"), dts: join(out, "index.d.ts") };
}

/** tsc (TypeScript 7) emits one `.d.ts` per source file; we copy them under `types/` with runnable specifiers. */
function emitDeclarations(out: string): void {
  const tmp = mkdtempSync(join(tmpdir(), "sdk-dts-"));
  try {
    // `types: node` (not bun) proves the SDK's declarations need nothing Bun-specific.
    const tsc = spawnSync(
      join(ROOT, "node_modules/.bin/tsc"),
      [
        "--declaration", "--emitDeclarationOnly", "--outDir", tmp, "--rootDir", join(ROOT, "src"),
        "--target", "ES2022", "--module", "ESNext", "--moduleResolution", "bundler", "--lib", "ES2024,DOM",
        "--types", "node", "--strict", "--skipLibCheck", "--allowImportingTsExtensions", "--verbatimModuleSyntax",
        "--isolatedModules", "--ignoreConfig", ENTRY,
      ],
      { cwd: ROOT, encoding: "utf8" },
    );
    if (tsc.status !== 0) throw new Error(`tsc failed to emit the SDK declarations:\n${tsc.stdout}${tsc.stderr}`);
    const types = join(out, "types");
    const valibotDts = join(types, "valibot.d.ts");
    for (const file of walk(tmp)) {
      const target = join(types, relative(tmp, file));
      mkdirSync(dirname(target), { recursive: true });
      let toValibot = relative(dirname(target), valibotDts).replace(/\.d\.ts$/, ".js");
      if (!toValibot.startsWith(".")) toValibot = `./${toValibot}`;
      const text = readFileSync(file, "utf8")
        .replace(/(from\s+["'])(\.{1,2}\/[^"']+)\.ts(["'])/g, "$1$2.js$3")
        .replace(/(from\s+["'])valibot(["'])/g, `$1${toValibot}$2`);
      writeFileSync(target, text);
    }
    cpSync(join(ROOT, "node_modules/valibot/dist/index.d.mts"), valibotDts);
    writeFileSync(join(out, "index.d.ts"), 'export * from "./types/sdk/index.js";\n');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (name.endsWith(".d.ts")) yield path;
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { outdir: { type: "string", default: join(ROOT, "dist/sdk") } } });
  const built = await buildSdk(values.outdir as string);
  console.log(`built ${relative(process.cwd(), built.js) || built.js} and ${relative(process.cwd(), built.dts) || built.dts}`);
}
