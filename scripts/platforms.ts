/**
 * The release platforms: one table shared by `build-all.ts` (cross-compiling), `pack-npm.ts` (per-platform npm
 * packages) and, by name, `bin/resolve-binary.js`, `install.sh` and `action.yml` (which repeat the ids because they
 * cannot import TypeScript). A platform id is `<os>-<arch>[-musl]` with Node's arch names and `windows` for win32.
 */
export type Platform = {
  /** Release asset and npm package suffix: `codex-orchestrator-<id>.tar.gz`, `@codex-orchestrator/<id>`. */
  id: string;
  /** `Bun.build` compile target. */
  bunTarget: string;
  /** npm package holding the Bun runtime for this target (`package/bin/bun[.exe]`). */
  runtimePackage: string;
  /** npm `os` / `cpu` / `libc` fields of the per-platform package. */
  os: "linux" | "darwin" | "win32";
  cpu: "x64" | "arm64";
  libc?: "glibc" | "musl";
  /** Name of the executable inside the archive and the npm package. */
  executable: string;
  /** Archive format of the release asset. */
  archive: "tar.gz" | "zip";
};

const UNIX = "codex-orchestrator";

export const PLATFORMS: readonly Platform[] = [
  { id: "linux-x64", bunTarget: "bun-linux-x64", runtimePackage: "@oven/bun-linux-x64", os: "linux", cpu: "x64", libc: "glibc", executable: UNIX, archive: "tar.gz" },
  { id: "linux-x64-musl", bunTarget: "bun-linux-x64-musl", runtimePackage: "@oven/bun-linux-x64-musl", os: "linux", cpu: "x64", libc: "musl", executable: UNIX, archive: "tar.gz" },
  { id: "linux-arm64", bunTarget: "bun-linux-arm64", runtimePackage: "@oven/bun-linux-aarch64", os: "linux", cpu: "arm64", libc: "glibc", executable: UNIX, archive: "tar.gz" },
  { id: "darwin-x64", bunTarget: "bun-darwin-x64", runtimePackage: "@oven/bun-darwin-x64", os: "darwin", cpu: "x64", executable: UNIX, archive: "tar.gz" },
  { id: "darwin-arm64", bunTarget: "bun-darwin-arm64", runtimePackage: "@oven/bun-darwin-aarch64", os: "darwin", cpu: "arm64", executable: UNIX, archive: "tar.gz" },
  { id: "windows-x64", bunTarget: "bun-windows-x64", runtimePackage: "@oven/bun-windows-x64", os: "win32", cpu: "x64", executable: `${UNIX}.exe`, archive: "zip" },
];

export function findPlatform(id: string): Platform | undefined {
  return PLATFORMS.find((p) => p.id === id);
}

/** Release asset file name of a platform, given the archive format actually used. */
export function assetName(platform: Platform, archive: Platform["archive"] = platform.archive): string {
  return `codex-orchestrator-${platform.id}.${archive}`;
}

/** The platform id of the machine running this script (`linux-x64`, `linux-x64-musl`, `darwin-arm64`, …). */
export function hostPlatformId(): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  const musl = process.platform === "linux" && report?.header?.glibcVersionRuntime === undefined;
  return `${os}-${process.arch}${musl ? "-musl" : ""}`;
}
