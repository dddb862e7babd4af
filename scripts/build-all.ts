/**
 * `npm run build:all`: cross-compiles the release binaries for every platform of `platforms.ts`, offline from the Bun
 * runtimes of the npm packages `@oven/bun-<target>` (fetched once with `npm pack` into `.cache/bun-runtimes/`), stamps
 * the version, packs each as `codex-orchestrator-<platform>.tar.gz` (`.zip` for Windows when `zip` is on PATH) and
 * writes `SHA256SUMS` (verifiable with `sha256sum -c SHA256SUMS` inside the output directory).
 *
 *   bun run scripts/build-all.ts [--out dist/release] [--targets linux-x64,darwin-arm64] [--version 1.2.3]
 *                                [--cache .cache/bun-runtimes]
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildBinary } from "../build.ts";
import { PLATFORMS, type Platform, assetName, findPlatform } from "./platforms.ts";

const ROOT = resolve(import.meta.dirname, "..");

export type BuildAllOptions = {
  outDir: string;
  platforms: readonly Platform[];
  version: string;
  cacheDir: string;
  log?: (line: string) => void;
};

export type BuiltAsset = { platform: string; file: string; sha256: string };

/** The Bun version the runtimes must match: the one installed as the devDependency. */
export function bunVersion(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, "node_modules/bun/package.json"), "utf8")) as { version: string };
  return pkg.version;
}

/** Path of the cached runtime for a platform, fetching it with `npm pack` on first use. */
export function runtimeFor(platform: Platform, cacheDir: string, version = bunVersion()): string {
  const exe = platform.os === "win32" ? "bun.exe" : "bun";
  const dir = join(cacheDir, version, platform.runtimePackage.replace("/", "__"));
  const target = join(dir, exe);
  if (existsSync(target)) return target;
  mkdirSync(dir, { recursive: true });
  const spec = `${platform.runtimePackage}@${version}`;
  // `npm pack` downloads (or takes from the npm cache) the tarball without installing it, so foreign platforms work.
  const pack = spawnSync("npm", ["pack", spec, "--json", "--pack-destination", dir], { cwd: dir, encoding: "utf8" });
  if (pack.status !== 0) throw new Error(`npm pack ${spec} failed: ${pack.stderr.trim().split("\n").pop()}`);
  const tarball = join(dir, (JSON.parse(pack.stdout) as { filename: string }[])[0]!.filename.replace(/^@/, "").replace("/", "-"));
  const untar = spawnSync("tar", ["-xzf", tarball, "-C", dir, `package/bin/${exe}`], { encoding: "utf8" });
  if (untar.status !== 0) throw new Error(`cannot extract ${exe} from ${tarball}: ${untar.stderr.trim()}`);
  // Rename last, so an interrupted fetch never leaves a half-written runtime at the cached path.
  renameSync(join(dir, "package/bin", exe), target);
  rmSync(join(dir, "package"), { recursive: true, force: true });
  rmSync(tarball, { force: true });
  return target;
}

function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", fail);
    child.on("close", (code) => (code === 0 ? done() : fail(new Error(`${cmd} ${args.join(" ")}: ${stderr.trim()}`))));
  });
}

export function zipAvailable(): boolean {
  return spawnSync("zip", ["-v"], { stdio: "ignore" }).status === 0;
}

function sha256(file: string): Promise<string> {
  return new Promise((done, fail) => {
    const hash = createHash("sha256");
    createReadStream(file).on("data", (d) => hash.update(d)).on("error", fail).on("end", () => done(hash.digest("hex")));
  });
}

/** Archives one staged executable as `<outDir>/codex-orchestrator-<id>.<ext>` (the executable at the archive root). */
async function archive(platform: Platform, stageDir: string, outDir: string, useZip: boolean): Promise<string> {
  const format = platform.archive === "zip" && useZip ? "zip" : "tar.gz";
  const file = join(outDir, assetName(platform, format));
  rmSync(file, { force: true });
  if (format === "zip") await run("zip", ["-q", "-X", file, platform.executable], stageDir);
  else await run("tar", ["-czf", file, platform.executable], stageDir);
  return file;
}

/** A limiter: at most `limit` tasks at once (archiving is CPU-bound gzip; build machines have few cores). */
function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active >= limit) await new Promise<void>((go) => waiting.push(go));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

export async function buildAll(options: BuildAllOptions): Promise<BuiltAsset[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const outDir = resolve(options.outDir);
  const stage = join(outDir, ".staging");
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  // The directory then holds exactly this build: no archive of an earlier run outside SHA256SUMS.
  for (const name of readdirSync(outDir)) {
    if (name === "SHA256SUMS" || /^codex-orchestrator-.+\.(tar\.gz|zip)$/.test(name)) rmSync(join(outDir, name), { force: true });
  }
  const useZip = zipAvailable();
  if (!useZip && options.platforms.some((p) => p.archive === "zip")) log("zip not found: Windows archive written as .tar.gz");

  const assets: BuiltAsset[] = [];
  const limit = limiter(2);
  const archiving: Promise<void>[] = [];
  // Compile one at a time (Bun.build is in-process) while earlier binaries are archived in the background.
  for (const platform of options.platforms) {
    const executablePath = runtimeFor(platform, options.cacheDir);
    const stageDir = join(stage, platform.id);
    mkdirSync(stageDir, { recursive: true });
    await buildBinary({
      outfile: join(stageDir, platform.executable),
      target: platform.bunTarget,
      executablePath,
      version: options.version,
    });
    log(`built ${platform.id} (${options.version})`);
    archiving.push(
      limit(async () => {
        const file = await archive(platform, stageDir, outDir, useZip);
        assets.push({ platform: platform.id, file, sha256: await sha256(file) });
        rmSync(stageDir, { recursive: true, force: true });
        log(`packed ${basename(file)}`);
      }),
    );
  }
  await Promise.all(archiving);
  rmSync(stage, { recursive: true, force: true });
  assets.sort((a, b) => basename(a.file).localeCompare(basename(b.file)));
  // Two spaces between hash and name: the text-mode line format `sha256sum -c` reads.
  const sums = assets.map((a) => `${a.sha256}  ${basename(a.file)}\n`).join("");
  writeFileSync(join(outDir, "SHA256SUMS.tmp"), sums);
  renameSync(join(outDir, "SHA256SUMS.tmp"), join(outDir, "SHA256SUMS"));
  log(`wrote ${join(outDir, "SHA256SUMS")} (${assets.length} assets)`);
  return assets;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      out: { type: "string", default: join(ROOT, "dist/release") },
      targets: { type: "string" },
      version: { type: "string" },
      cache: { type: "string", default: process.env.CODEX_ORCHESTRATOR_RUNTIME_CACHE ?? join(ROOT, ".cache/bun-runtimes") },
    },
  });
  const ids = values.targets?.split(",").map((s) => s.trim()).filter(Boolean);
  const platforms = ids === undefined ? PLATFORMS : ids.map((id) => findPlatform(id));
  const unknown = ids?.filter((id) => findPlatform(id) === undefined) ?? [];
  if (unknown.length > 0) {
    console.error(`Unknown target: ${unknown.join(", ")} (expected one of ${PLATFORMS.map((p) => p.id).join(", ")})`);
    process.exit(2);
  }
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  const started = performance.now();
  try {
    await buildAll({
      outDir: values.out as string,
      platforms: platforms as Platform[],
      version: values.version ?? pkg.version,
      cacheDir: resolve(values.cache as string),
    });
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
  console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
