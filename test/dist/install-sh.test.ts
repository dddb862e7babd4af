/** `install.sh` run by a POSIX sh against a release directory served from 127.0.0.1. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers/cli.ts";
import { TEST_VERSION, bigScratch, hostPlatform, hostRelease, run, type Server, serveStatic } from "./fixture.ts";

const ASSET = `codex-orchestrator-${hostPlatform()}.tar.gz`;
let server: Server;

beforeAll(async () => {
  const rel = await hostRelease();
  // A release whose SHA256SUMS does not match its archive.
  const tampered = bigScratch("co-tampered-");
  symlinkSync(join(rel.dir, ASSET), join(tampered, ASSET));
  const sums = readFileSync(join(rel.dir, "SHA256SUMS"), "utf8");
  const line = sums.split("\n").find((l) => l.endsWith(`  ${ASSET}`))!;
  writeFileSync(join(tampered, "SHA256SUMS"), sums.replace(line, `${"0".repeat(64)}  ${ASSET}`));
  server = serveStatic({
    [`/v${TEST_VERSION}`]: rel.dir,
    "/latest": rel.dir,
    "/v9.9.9": rel.dir, // archives that report another version than the tag
    "/v6.6.6": tampered,
  });
}, 300_000);
afterAll(() => server?.stop());

function install(args: string[], env: Record<string, string> = {}) {
  return run(["sh", join(REPO_ROOT, "install.sh"), ...args], {
    env: { CODEX_ORCHESTRATOR_DOWNLOAD_URL: server.url, ...env },
    timeoutMs: 120_000,
  });
}

describe("install.sh", () => {
  test("installs the named version for this platform after verifying its checksum", async () => {
    const dir = join(bigScratch("co-install-"), "bin");
    const result = await install(["--version", `v${TEST_VERSION}`, "--dir", dir], { PATH: `${dir}:/usr/bin:/bin` });
    expect(result).toMatchObject({
      code: 0,
      stdout: `Installed codex-orchestrator ${TEST_VERSION} (${hostPlatform()}) to ${dir}/codex-orchestrator\n`,
      stderr: "",
    });
    expect(server.requests).toContain(`/v${TEST_VERSION}/SHA256SUMS`);
    expect(server.requests).toContain(`/v${TEST_VERSION}/${ASSET}`);
    expect(lstatSync(join(dir, "codex-orch")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, "codex-orch"))).toBe("codex-orchestrator");
    for (const name of ["codex-orchestrator", "codex-orch"]) {
      expect(await run([join(dir, name), "--version"])).toMatchObject({ code: 0, stdout: `${TEST_VERSION}\n` });
    }
  }, 120_000);

  test("takes version and directory from the environment, 'latest' by default, and notes a directory off PATH", async () => {
    const dir = join(bigScratch("co-install-"), "tools");
    const result = await install([], { CODEX_ORCHESTRATOR_INSTALL_DIR: dir, PATH: "/usr/bin:/bin" });
    expect(result.code).toBe(0);
    expect(server.requests).toContain(`/latest/${ASSET}`);
    expect(result.stdout).toBe(`Installed codex-orchestrator ${TEST_VERSION} (${hostPlatform()}) to ${dir}/codex-orchestrator\n`);
    expect(result.stderr).toBe(`Note: ${dir} is not on PATH; add it, e.g. export PATH="${dir}:$PATH"\n`);
  }, 120_000);

  test("a checksum mismatch installs nothing", async () => {
    const dir = join(bigScratch("co-install-"), "bin");
    const result = await install(["--version", "6.6.6", "--dir", dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^install\\.sh: checksum mismatch for ${ASSET}: expected 0{64}, got [0-9a-f]{64}; nothing installed\\.\\n$`),
    );
    expect(existsSync(dir)).toBe(false);
  }, 120_000);

  test("a binary reporting another version than asked for installs nothing", async () => {
    const dir = join(bigScratch("co-install-"), "bin");
    const result = await install(["--version", "9.9.9", "--dir", dir]);
    expect(result).toMatchObject({
      code: 1,
      stderr: `install.sh: the downloaded codex-orchestrator reports version ${TEST_VERSION}, expected 9.9.9; nothing installed.\n`,
    });
    expect(existsSync(dir)).toBe(false);
  }, 120_000);

  test("an unknown version names the URL that failed", async () => {
    const result = await install(["--version", "1.2.3", "--dir", bigScratch("co-install-")]);
    expect(result).toMatchObject({ code: 1, stderr: `install.sh: download failed: ${server.url}/v1.2.3/SHA256SUMS\n` });
  });

  test("usage errors and unsupported platforms exit 2 with one line", async () => {
    expect(await install(["--platform", "plan9-x64"])).toMatchObject({
      code: 2,
      stderr:
        "install.sh: no release binary for platform plan9-x64 (available: linux-x64, linux-x64-musl, linux-arm64, darwin-x64, darwin-arm64, windows-x64).\n",
    });
    expect(await install(["--dir"])).toMatchObject({ code: 2, stderr: "install.sh: --dir requires a path.\n" });
    expect(await install(["--bogus"])).toMatchObject({ code: 2, stderr: "install.sh: unknown option: --bogus\n" });
    expect(await install(["--print-platform"])).toMatchObject({ code: 0, stdout: `${hostPlatform()}\n` });
  });
});
