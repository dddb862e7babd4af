/**
 * Compiles `src/main.ts` into one standalone executable (SPEC §2): minified ESM with bytecode, and with the runtime's
 * autoloading of `.env`, `bunfig.toml`, `tsconfig.json` and `package.json` turned off, because the binary runs inside
 * other people's repositories. Built-in modules are loaded lazily (see `lazyBuiltins`).
 *
 *   bun run build.ts                       → dist/codex-orchestrator (host)
 *   bun run build.ts --target bun-linux-arm64 --outfile dist/x --executable-path <runtime>
 */
import { readFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { parseArgs } from "node:util";
import type { BunPlugin } from "bun";
import pkg from "./package.json" with { type: "json" };

export type BuildOptions = {
  outfile: string;
  target?: string;
  /** A Bun runtime to embed (cross-compiling offline from `@oven/bun-<target>`). */
  executablePath?: string;
  version?: string;
};

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
/** A whole static import statement at the start of a line (possibly spanning lines), not `import type`. */
const IMPORT_STATEMENT = /^import\s+(?!type\s)([^;'"]*?)\s+from\s*(["'])([^"']+)\2;?[ \t]*$/gm;

/**
 * The bindings of an import clause as `const` declarations reading `source` (`D`, `* as N`, `{ a, b as c }` and their
 * combinations; `type` members dropped). Null for a shape it does not know, which is then left alone.
 */
export function requireBindings(clause: string, source: string): string | null {
  const parts: string[] = [];
  let rest = clause.trim();
  const named = /^([\w$]+)\s*(?:,\s*|$)/.exec(rest);
  if (named !== null) {
    parts.push(`const ${named[1]} = ${source};`);
    rest = rest.slice(named[0].length).trim();
  }
  if (rest.startsWith("*")) {
    const ns = /^\*\s+as\s+([\w$]+)$/.exec(rest);
    if (ns === null) return null;
    parts.push(`const ${ns[1]} = ${source};`);
  } else if (rest.startsWith("{") && rest.endsWith("}")) {
    const names = rest
      .slice(1, -1)
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name !== "" && !name.startsWith("type "));
    if (names.length > 0) parts.push(`const { ${names.map((n) => n.replace(/\s+as\s+/, ": ")).join(", ")} } = ${source};`);
  } else if (rest !== "") {
    return null;
  }
  return parts.join(" ");
}

/** `source` with its static imports of Node built-ins turned into `require` declarations; null when it has none. */
export function lazyBuiltinImports(source: string): string | null {
  let changed = false;
  const out = source.replace(IMPORT_STATEMENT, (statement, clause: string, _quote, specifier: string) => {
    if (!BUILTINS.has(specifier)) return statement;
    const bindings = requireBindings(clause, `require(${JSON.stringify(specifier)})`);
    if (bindings === null) return statement;
    changed = true;
    return bindings;
  });
  return changed ? out : null;
}

/**
 * Start-up cost (measured, docs/benchmarks.md): with ESM output the bundler hoists every static import of a built-in
 * (`node:http`, `node:net`, `node:crypto`, `node:readline`, …) to the top of the one bundled file, so each run pays for
 * loading all of them — about 20 ms — although commands are imported lazily and `--version` needs none. Rewriting
 * those imports as `require` calls keeps them inside the lazily initialised module they belong to, so a built-in is
 * loaded the first time a module that uses it is. Source files are not changed; only what the bundler reads.
 */
export const lazyBuiltins: BunPlugin = {
  name: "lazy-builtins",
  setup(build) {
    build.onLoad({ filter: /\.(ts|mts|js|mjs)$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      const rewritten = lazyBuiltinImports(source);
      if (rewritten === null) return undefined;
      return { contents: rewritten, loader: /\.m?ts$/.test(args.path) ? "ts" : "js" };
    });
  },
};

/**
 * The executable's JIT policy (`Bun.unsafe.setJITPolicy`): JavaScriptCore's tier-up thresholds are multiplied by it.
 * Almost all of a run's code executes a few times, and compiling it costs start-up time and memory; with the
 * thresholds raised, `exec -- true` starts ~15 % faster and 50 MB through `exec --jsonl` peaks ~8 MiB lower, the
 * per-byte loops being compiled on purpose (src/exec/jit-hints.ts). Figures: docs/benchmarks.md.
 * Still pays (issue 16, re-measured 2026-12-04, 5 interleaved runs of 50 MB through `exec --jsonl`, same tree built
 * with and without it): peak RSS median 63.3 MiB with it, 75.6 MiB without; user CPU 0.37 s vs 0.46 s.
 */
export const JIT_POLICY = 400;

/** The executable's entry points, the dispatcher first (their paths under `src/` are their names inside it). */
export const ENTRY_POINTS = ["./src/entry.ts", "./src/main.ts", "./src/exec/sandbox-helper-main.ts", "./src/exec/sandbox-thread-main.ts"];

export async function buildBinary(options: BuildOptions): Promise<string> {
  const version = options.version ?? pkg.version;
  const compile: Record<string, unknown> = {
    outfile: options.outfile,
    autoloadDotenv: false,
    autoloadBunfig: false,
    autoloadTsconfig: false,
    autoloadPackageJson: false,
    jitPolicy: JIT_POLICY,
  };
  if (options.target !== undefined) compile.target = options.target;
  if (options.executablePath !== undefined) compile.executablePath = options.executablePath;
  const result = await Bun.build({
    // The first is the executable's main module; the CLI and the sandbox helper are embedded beside it and imported by
    // it at run time (src/entry.ts), so that the helper never loads the CLI's bundle; the last is the sandbox thread's
    // worker (src/exec/sandbox-thread.ts).
    entrypoints: ENTRY_POINTS.map((path) => new URL(path, import.meta.url).pathname),
    root: new URL("./src", import.meta.url).pathname,
    compile: compile as never,
    format: "esm",
    // One chunk per group of modules loaded together: a command reads and evaluates only the bytecode of the
    // modules it imports, not the whole program (--version −6 ms, exec -- true −4 ms; docs/benchmarks.md, issue 21).
    splitting: true,
    plugins: [lazyBuiltins],
    bytecode: true,
    minify: true,
    sourcemap: "none",
    define: { __CODEX_ORCHESTRATOR_VERSION__: JSON.stringify(version) },
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    throw new Error(`Build failed for ${options.outfile}`);
  }
  return options.outfile;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      target: { type: "string" },
      outfile: { type: "string", default: "dist/codex-orchestrator" },
      "executable-path": { type: "string" },
    },
  });
  const out = await buildBinary({
    outfile: values.outfile as string,
    target: values.target,
    executablePath: values["executable-path"],
  });
  console.log(`built ${out} (${pkg.version})`);
}
