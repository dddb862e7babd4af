/**
 * Compiles `src/main.ts` into one standalone executable (SPEC §2): minified ESM with bytecode, and with the runtime's
 * autoloading of `.env`, `bunfig.toml`, `tsconfig.json` and `package.json` turned off, because the binary runs inside
 * other people's repositories.
 *
 *   bun run build.ts                       → dist/codex-orchestrator (host)
 *   bun run build.ts --target bun-linux-arm64 --outfile dist/x --executable-path <runtime>
 */
import { parseArgs } from "node:util";
import pkg from "./package.json" with { type: "json" };

export type BuildOptions = {
  outfile: string;
  target?: string;
  /** A Bun runtime to embed (cross-compiling offline from `@oven/bun-<target>`). */
  executablePath?: string;
  version?: string;
};

export async function buildBinary(options: BuildOptions): Promise<string> {
  const version = options.version ?? pkg.version;
  const compile: Record<string, unknown> = {
    outfile: options.outfile,
    autoloadDotenv: false,
    autoloadBunfig: false,
    autoloadTsconfig: false,
    autoloadPackageJson: false,
  };
  if (options.target !== undefined) compile.target = options.target;
  if (options.executablePath !== undefined) compile.executablePath = options.executablePath;
  const result = await Bun.build({
    entrypoints: [new URL("./src/main.ts", import.meta.url).pathname],
    compile: compile as never,
    format: "esm",
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
