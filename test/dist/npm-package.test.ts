/**
 * The npm route end to end: `scripts/pack-npm.ts` packs the release into the main package and the host's platform
 * package; a registry on 127.0.0.1 serves them; `npm i -g` of the main tarball, `npx` and `bunx` each run
 * `codex-orchestrator --version`. No request leaves the machine (fresh npm/bun caches, local registry only).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, DENO, TEST_VERSION, bigScratch, hostPlatform, npmPackages, run, type Server, serveRegistry } from "./fixture.ts";

let registry: Server;
let mainTarball = "";

beforeAll(async () => {
  const packed = await npmPackages();
  mainTarball = packed.main;
  registry = serveRegistry([packed.main, ...packed.platforms]);
}, 300_000);
afterAll(() => registry?.stop());

function npmEnv(): Record<string, string> {
  return {
    npm_config_registry: `${registry.url}/`,
    npm_config_cache: bigScratch("co-npm-cache-"),
    npm_config_update_notifier: "false",
    npm_config_audit: "false",
    npm_config_fund: "false",
  };
}

describe("npm packaging", () => {
  test("the main package holds the launcher and lists the platform packages as exact optional dependencies", async () => {
    const list = await run(["tar", "-tzf", mainTarball]);
    const files = list.stdout.trim().split("\n");
    expect(files).toContain("package/bin/codex-orchestrator.js");
    expect(files).toContain("package/bin/resolve-binary.js");
    expect(files.some((f) => f.includes("/dist/codex-orchestrator"))).toBe(false);
    const manifest = JSON.parse((await run(["tar", "-xzOf", mainTarball, "package/package.json"])).stdout);
    expect(manifest).toMatchObject({
      name: "codex-orchestrator",
      version: TEST_VERSION,
      bin: { "codex-orchestrator": "bin/codex-orchestrator.js", "codex-orch": "bin/codex-orchestrator.js" },
      optionalDependencies: { [`@codex-orchestrator/${hostPlatform()}`]: TEST_VERSION },
    });
    expect(manifest.dependencies).toBeUndefined();
  });

  test("npm i -g --prefix of the packed tarball gives working codex-orchestrator and codex-orch", async () => {
    const prefix = bigScratch("co-prefix-");
    const install = await run(["npm", "install", "-g", "--prefix", prefix, mainTarball], { env: npmEnv(), timeoutMs: 180_000 });
    expect(install.code).toBe(0);
    // Only the host's platform package came from the registry.
    expect(registry.requests).toContain(`@codex-orchestrator/${hostPlatform()}`);
    const scope = join(prefix, "lib/node_modules/codex-orchestrator/node_modules/@codex-orchestrator");
    const global = join(prefix, "lib/node_modules/@codex-orchestrator");
    expect([scope, global].some((d) => existsSync(join(d, hostPlatform(), "bin/codex-orchestrator")))).toBe(true);
    for (const name of ["codex-orchestrator", "codex-orch"]) {
      const version = await run([join(prefix, "bin", name), "--version"], { env: { PATH: `${join(prefix, "bin")}:${process.env.PATH}` } });
      expect(version).toMatchObject({ code: 0, stdout: `${TEST_VERSION}\n` });
    }
  }, 300_000);

  test("npx codex-orchestrator runs the packed package", async () => {
    const cwd = bigScratch("co-npx-");
    const result = await run(["npx", "--yes", `codex-orchestrator@${TEST_VERSION}`, "--version"], { env: npmEnv(), cwd, timeoutMs: 180_000 });
    expect(result).toMatchObject({ code: 0, stdout: `${TEST_VERSION}\n` });
  }, 300_000);

  test("deno run -A npm:codex-orchestrator runs the packed package (the launcher under Deno)", async () => {
    const cwd = bigScratch("co-deno-");
    const result = await run([DENO, "run", "-A", `npm:codex-orchestrator@${TEST_VERSION}`, "--version"], {
      env: { NPM_CONFIG_REGISTRY: `${registry.url}/`, DENO_DIR: bigScratch("co-deno-dir-"), DENO_NO_UPDATE_CHECK: "1" },
      cwd,
      timeoutMs: 180_000,
    });
    expect(result).toMatchObject({ code: 0, stdout: `${TEST_VERSION}\n` });
    expect(registry.requests).toContain(`@codex-orchestrator/${hostPlatform()}`);
  }, 300_000);

  test.each([[[] as string[]], [["--bun"]]])("bunx %p codex-orchestrator runs the packed package", async (flags) => {
    const cwd = bigScratch("co-bunx-");
    const result = await run([BUN, "x", ...flags, `codex-orchestrator@${TEST_VERSION}`, "exec", "--help"], {
      env: { BUN_CONFIG_REGISTRY: `${registry.url}/`, BUN_INSTALL_CACHE_DIR: bigScratch("co-bun-cache-") },
      cwd,
      timeoutMs: 180_000,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("exec");
    expect(readdirSync(cwd)).toEqual([]); // bunx installs into its cache, not the project
  }, 300_000);
});

test("the platform package is restricted to its os/cpu", async () => {
  const packed = await npmPackages();
  const manifest = JSON.parse((await run(["tar", "-xzOf", packed.platforms[0]!, "package/package.json"])).stdout);
  const [os, cpu] = hostPlatform().split("-");
  expect(manifest).toMatchObject({
    name: `@codex-orchestrator/${hostPlatform()}`,
    version: TEST_VERSION,
    os: [os === "windows" ? "win32" : os],
    cpu: [cpu],
  });
  expect(readFileSync(join(packed.dir, "stage", hostPlatform(), "README.md"), "utf8")).toContain("Install `codex-orchestrator`");
}, 300_000);
