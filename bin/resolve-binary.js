// Finds the codex-orchestrator executable for this machine. Plain ESM with node: built-ins only, so it runs under
// Node ≥ 20 and Bun without a build step (the launcher `codex-orchestrator.js` and the SDK both use it).
import { chmodSync, existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Scope of the per-platform npm packages (`@codex-orchestrator/linux-x64`, …), one per release binary. */
export const PLATFORM_SCOPE = "@codex-orchestrator";

/** Platforms with a release binary; keep in step with `scripts/platforms.ts`. */
export const SUPPORTED_PLATFORMS = [
  "linux-x64",
  "linux-x64-musl",
  "linux-arm64",
  "darwin-x64",
  "darwin-arm64",
  "windows-x64",
];

const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

function isMusl() {
  if (process.platform !== "linux") return false;
  // glibc builds report the runtime glibc version; musl ones leave it out. Deno refuses the report without
  // --allow-sys (it collects network interfaces, uptime, …): then the dynamic loader on disk tells instead, so the
  // SDK under Deno needs no sys permission.
  let header;
  try {
    header = process.report?.getReport()?.header;
  } catch {
    return MUSL_LOADERS.some((path) => existsSync(path)) && !GLIBC_LOADERS.some((path) => existsSync(path));
  }
  return header?.glibcVersionRuntime === undefined;
}

const MUSL_LOADERS = ["/lib/ld-musl-x86_64.so.1", "/lib/ld-musl-aarch64.so.1"];
const GLIBC_LOADERS = ["/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1", "/lib/x86_64-linux-gnu/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6"];

/** This machine's platform id: `<os>-<arch>[-musl]`, with `windows` for win32 (e.g. `linux-x64-musl`). */
export function hostPlatform(platform = process.platform, arch = process.arch, musl = isMusl()) {
  const os = platform === "win32" ? "windows" : platform;
  return `${os}-${arch}${platform === "linux" && musl ? "-musl" : ""}`;
}

function executableName(platformId) {
  return platformId.startsWith("windows-") ? "codex-orchestrator.exe" : "codex-orchestrator";
}

/** Makes sure a found binary is executable (some package managers drop the mode bits); best effort. */
function ensureExecutable(path) {
  if (process.platform === "win32") return path;
  try {
    if ((statSync(path).mode & 0o111) === 0) chmodSync(path, 0o755);
  } catch {
    // Read-only install: spawning reports the real problem.
  }
  return path;
}

/**
 * Resolves the binary: the per-platform package `@codex-orchestrator/<platform>` (an optional dependency of the
 * published package), else `dist/codex-orchestrator` of this package (a checkout built with `npm run build`).
 * Returns `{ path, platform, source }` or throws an Error whose message is one line naming the platform.
 */
export function resolveBinary(options = {}) {
  const packageRoot = options.packageRoot ?? PACKAGE_ROOT;
  const platform = options.platform ?? hostPlatform();
  const exe = executableName(platform);
  const pkgName = `${PLATFORM_SCOPE}/${platform}`;
  const require = createRequire(join(packageRoot, "package.json"));
  try {
    const manifest = require.resolve(`${pkgName}/package.json`);
    const path = join(dirname(manifest), "bin", exe);
    if (existsSync(path)) return { path: ensureExecutable(path), platform, source: pkgName };
  } catch {
    // Not installed: try the local build next.
  }
  const local = join(packageRoot, "dist", exe);
  if (existsSync(local)) return { path: ensureExecutable(local), platform, source: "dist" };
  if (!SUPPORTED_PLATFORMS.includes(platform)) {
    throw new Error(
      `codex-orchestrator: no binary for platform ${platform} (release binaries exist for ${SUPPORTED_PLATFORMS.join(", ")}); build one from a checkout with "npm run build".`,
    );
  }
  throw new Error(
    `codex-orchestrator: the binary package ${pkgName} for platform ${platform} is not installed; reinstall without --omit=optional / --no-optional (e.g. "npm i -g codex-orchestrator"), or build one from a checkout with "npm run build".`,
  );
}
