/**
 * Issue 22.13: after the README's first command, the checkout works as a package. `npm install <checkout>` and
 * `npm install <tarball of npm pack>` into a temporary project each give a `codex-orchestrator` that runs (the
 * binary built in the checkout, no platform package) and an SDK whose `exec` runs a command and records it. npm runs
 * `--offline`: the package has no runtime dependencies (the binary and the SDK bundle are self-contained; what they
 * are built from is a devDependency), so nothing may come from a registry.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers/cli.ts";
import { bigScratch, run } from "./fixture.ts";

const VERSION = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).version as string;

const npmEnv = {
  npm_config_update_notifier: "false",
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_offline: "true",
  MCP_RUNNER_TASK_ID: "sdk",
};

const SDK_SCRIPT = `
import { Orchestrator } from "codex-orchestrator/sdk";
const run = new Orchestrator().exec("sh", ["-c", "echo from-sdk"]);
let out = "";
for await (const event of run) if (event.type === "exec:chunk") out += event.payload.data;
const summary = await run.result;
console.log(JSON.stringify({ out, status: summary.status, manifest: summary.run.manifest }));
`;

async function project(): Promise<string> {
  const dir = bigScratch("co-consumer-");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" }));
  writeFileSync(join(dir, "sdk.mjs"), SDK_SCRIPT);
  return dir;
}

async function checkInstalled(dir: string): Promise<void> {
  const version = await run([join(dir, "node_modules/.bin/codex-orchestrator"), "--version"], { cwd: dir, env: npmEnv });
  expect(version).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  const sdk = await run(["node", "sdk.mjs"], { cwd: dir, env: npmEnv, timeoutMs: 60_000 });
  expect(sdk.stderr).toBe("");
  expect(sdk.code).toBe(0);
  const result = JSON.parse(sdk.stdout);
  expect(result).toMatchObject({ out: "from-sdk\n", status: "succeeded" });
  expect(existsSync(join(dir, result.manifest))).toBe(true);
}

describe("installing from a checkout (issue 22.13)", () => {
  test("npm install <checkout>", async () => {
    const dir = await project();
    const install = await run(["npm", "install", "--no-save", REPO_ROOT], { cwd: dir, env: npmEnv, timeoutMs: 180_000 });
    expect(install.code).toBe(0);
    await checkInstalled(dir);
  }, 240_000);

  test("npm install <tarball of npm pack in the checkout>", async () => {
    const packs = bigScratch("co-pack-");
    const pack = await run(["npm", "pack", "--pack-destination", packs, "--json"], { cwd: REPO_ROOT, env: npmEnv, timeoutMs: 180_000 });
    expect(pack.code).toBe(0);
    const [info] = JSON.parse(pack.stdout) as [{ filename: string; files: { path: string }[] }];
    const files = info.files.map((f) => f.path);
    for (const path of ["bin/codex-orchestrator.js", "dist/codex-orchestrator", "dist/sdk/index.js", "dist/sdk/index.d.ts"]) {
      expect(files).toContain(path);
    }
    const dir = await project();
    const install = await run(["npm", "install", "--no-save", join(packs, info.filename)], { cwd: dir, env: npmEnv, timeoutMs: 180_000 });
    expect(install.code).toBe(0);
    await checkInstalled(dir);
  }, 300_000);
});
