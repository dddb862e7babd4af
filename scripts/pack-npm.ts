/**
 * Turns release archives (from `build-all.ts`) into npm packages, the pattern Bun- and Go-compiled CLIs use:
 *
 * - `@codex-orchestrator/<platform>`: one per archive, holding `bin/codex-orchestrator[.exe]`, with `os`/`cpu`/`libc`
 *   so npm, pnpm, yarn and bun install only the matching one;
 * - `codex-orchestrator`: the launcher (`bin/`), the package's `files` (SDK, schemas, README) and the per-platform
 *   packages as exact-version `optionalDependencies`.
 *
 * The root package.json does not list the optional dependencies itself: until they are published, `npm ci` in a
 * checkout would try to fetch them. The staged copy written here does.
 *
 *   bun run scripts/pack-npm.ts [--release dist/release] [--out dist/npm] [--version 1.2.3]
 *
 * Prints the tarball paths, platform packages first (publish them before the main package).
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { PLATFORMS, type Platform, assetName } from "./platforms.ts";

const ROOT = resolve(import.meta.dirname, "..");
export const PLATFORM_SCOPE = "@codex-orchestrator";
/** Entries of `files` that are a checkout's host build, never part of the release main package. */
const HOST_BINARIES = new Set(["dist/codex-orchestrator", "dist/codex-orchestrator.exe"]);

type RootPackage = {
  name: string;
  version: string;
  description?: string;
  license?: string;
  type?: string;
  bin?: Record<string, string>;
  exports?: unknown;
  files?: string[];
  engines?: unknown;
  repository?: unknown;
  homepage?: unknown;
  keywords?: unknown;
};

export type PackedPackages = { platforms: string[]; main: string };

function sh(cmd: string, args: string[], cwd: string): string {
  const result = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

function npmPack(dir: string, dest: string): string {
  const out = JSON.parse(sh("npm", ["pack", "--json", "--pack-destination", dest], dir)) as { filename: string }[];
  return join(dest, out[0]!.filename.replace(/^@/, "").replace("/", "-"));
}

/** Extracts the executable of a release archive into `<dir>/bin/`. */
function extract(platform: Platform, releaseDir: string, dir: string): boolean {
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  const zip = join(releaseDir, assetName(platform, "zip"));
  const tgz = join(releaseDir, assetName(platform, "tar.gz"));
  if (existsSync(zip)) sh("unzip", ["-q", "-o", zip, platform.executable, "-d", bin], dir);
  else if (existsSync(tgz)) sh("tar", ["-xzf", tgz, "-C", bin, platform.executable], dir);
  else return false;
  return true;
}

function platformManifest(pkg: RootPackage, platform: Platform): Record<string, unknown> {
  return {
    name: `${PLATFORM_SCOPE}/${platform.id}`,
    version: pkg.version,
    description: `The ${platform.id} binary of ${pkg.name}; installed automatically as its optional dependency.`,
    license: pkg.license,
    repository: pkg.repository,
    os: [platform.os],
    cpu: [platform.cpu],
    ...(platform.libc === undefined ? {} : { libc: [platform.libc] }),
    files: ["bin/"],
    preferUnplugged: true,
  };
}

export function packNpm(options: { releaseDir: string; outDir: string; version?: string; root?: string }): PackedPackages {
  const root = options.root ?? ROOT;
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as RootPackage;
  // The version of the release being packed (build:all --version), the package.json version by default.
  if (options.version !== undefined) pkg.version = options.version;
  const outDir = resolve(options.outDir);
  const stage = join(outDir, "stage");
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });

  const platforms: string[] = [];
  const optionalDependencies: Record<string, string> = {};
  for (const platform of PLATFORMS) {
    const dir = join(stage, platform.id);
    if (!extract(platform, resolve(options.releaseDir), dir)) {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    writeFileSync(join(dir, "package.json"), `${JSON.stringify(platformManifest(pkg, platform), null, 2)}\n`);
    writeFileSync(join(dir, "README.md"), `# ${PLATFORM_SCOPE}/${platform.id}\n\nThe ${platform.id} executable of \`${pkg.name}\`. Install \`${pkg.name}\` instead.\n`);
    platforms.push(npmPack(dir, outDir));
    optionalDependencies[`${PLATFORM_SCOPE}/${platform.id}`] = pkg.version;
  }
  if (platforms.length === 0) throw new Error(`no release archives in ${options.releaseDir}: run "npm run build:all" first`);

  // The main package: the launcher, whatever else `files` names (only what exists), no runtime dependencies (the
  // binary is self-contained), and the platform packages as optional dependencies.
  const main = join(stage, "main");
  mkdirSync(main, { recursive: true });
  for (const entry of pkg.files ?? ["bin/"]) {
    // A checkout's own build (`npm pack` of a checkout ships it, issue 22.13); a release gets binaries per platform.
    if (HOST_BINARIES.has(entry)) continue;
    const from = join(root, entry);
    if (existsSync(from)) cpSync(from, join(main, entry), { recursive: true });
  }
  for (const entry of ["bin/", "README.md", "LICENSE"]) {
    if (existsSync(join(root, entry)) && !existsSync(join(main, entry))) cpSync(join(root, entry), join(main, entry), { recursive: true });
  }
  const exportsField = existsSync(join(main, "dist/sdk")) ? { exports: pkg.exports } : {};
  const manifest = {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description,
    license: pkg.license,
    repository: pkg.repository,
    homepage: pkg.homepage,
    keywords: pkg.keywords,
    type: pkg.type,
    bin: pkg.bin,
    ...exportsField,
    engines: pkg.engines,
    optionalDependencies,
  };
  writeFileSync(join(main, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return { platforms, main: npmPack(main, outDir) };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      release: { type: "string", default: join(ROOT, "dist/release") },
      out: { type: "string", default: join(ROOT, "dist/npm") },
      version: { type: "string" },
    },
  });
  try {
    const packed = packNpm({ releaseDir: values.release as string, outDir: values.out as string, version: values.version });
    for (const file of [...packed.platforms, packed.main]) console.log(file);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
