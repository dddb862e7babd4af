/**
 * The npm launcher `bin/codex-orchestrator.js` under real Node and Bun: which binary it picks, its error when none fits,
 * and that argv, exit codes and signals pass through. Node 20 takes the spawn-and-relay path, Bun the execve path.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, cpSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers/cli.ts";
import { BUN, bigScratch, hostPlatform, run } from "./fixture.ts";

const RUNTIMES = [
  ["node", "node"],
  ["bun", BUN],
] as const;

let realBinary = "";
beforeAll(async () => {
  realBinary = join(bigScratch("co-launcher-bin-"), "codex-orchestrator");
  const built = await run([BUN, "run", "build.ts", "--outfile", realBinary]);
  if (built.code !== 0) throw new Error(built.stderr);
}, 120_000);

/** A package directory holding the launcher, optionally a platform package and/or a dist/ binary. */
function packageDir(options: { platformBinary?: string; distBinary?: string }): string {
  const dir = bigScratch("co-launcher-");
  cpSync(join(REPO_ROOT, "bin"), join(dir, "bin"), { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "codex-orchestrator", version: "0.0.0", type: "module" }));
  if (options.platformBinary !== undefined) {
    const pkg = join(dir, "node_modules/@codex-orchestrator", hostPlatform());
    mkdirSync(join(pkg, "bin"), { recursive: true });
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: `@codex-orchestrator/${hostPlatform()}`, version: "0.0.0" }));
    cpSync(options.platformBinary, join(pkg, "bin/codex-orchestrator"));
  }
  if (options.distBinary !== undefined) {
    mkdirSync(join(dir, "dist"));
    cpSync(options.distBinary, join(dir, "dist/codex-orchestrator"));
  }
  return dir;
}

function script(body: string): string {
  const file = join(bigScratch("co-stub-"), "stub");
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe.each(RUNTIMES)("launcher under %s", (_name, runtime) => {
  test("runs the platform package's binary (preferred over dist/)", async () => {
    const dir = packageDir({ platformBinary: realBinary, distBinary: script('echo "from dist"') });
    const result = await run([runtime, join(dir, "bin/codex-orchestrator.js"), "--version"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
  });

  test("falls back to the dist/ binary of a checkout", async () => {
    const dir = packageDir({ distBinary: script('echo "from dist"') });
    const result = await run([runtime, join(dir, "bin/codex-orchestrator.js")]);
    expect(result).toMatchObject({ code: 0, stdout: "from dist\n" });
  });

  test("passes argv through verbatim and returns the binary's exit code", async () => {
    const dir = packageDir({ distBinary: script('for a in "$@"; do printf "<%s>\\n" "$a"; done; exit 7') });
    const result = await run([runtime, join(dir, "bin/codex-orchestrator.js"), "exec", "--", "a b", "", "--x=1", "é"]);
    expect(result).toMatchObject({ code: 7, stdout: "<exec>\n<-->\n<a b>\n<>\n<--x=1>\n<é>\n" });
  });

  test("a binary killed by a signal kills the launcher with the same signal", async () => {
    const dir = packageDir({ distBinary: script("kill -TERM $$") });
    const result = await run([runtime, join(dir, "bin/codex-orchestrator.js")]);
    expect(result).toMatchObject({ code: null, signal: "SIGTERM" });
  });

  test("SIGTERM sent to the launcher reaches the binary", async () => {
    const dir = packageDir({
      distBinary: script("trap 'echo got-term; exit 42' TERM\necho ready\nwhile :; do sleep 0.05; done"),
    });
    const proc = Bun.spawn([runtime, join(dir, "bin/codex-orchestrator.js")], { stdout: "pipe", stderr: "pipe" });
    const reader = proc.stdout.getReader();
    let out = "";
    while (!out.includes("ready\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    proc.kill("SIGTERM");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    expect(await proc.exited).toBe(42);
    expect(out).toBe("ready\ngot-term\n");
  });

  test("no binary for a supported platform: one line naming the missing package, exit 1", async () => {
    const dir = packageDir({});
    const result = await run([runtime, join(dir, "bin/codex-orchestrator.js"), "--version"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      `codex-orchestrator: the binary package @codex-orchestrator/${hostPlatform()} for platform ${hostPlatform()} is not installed; reinstall without --omit=optional / --no-optional (e.g. "npm i -g codex-orchestrator"), or build one from a checkout with "npm run build".\n`,
    );
  });
});

test("an unsupported platform gets a message naming it and the supported ones", async () => {
  const dir = packageDir({});
  const fakeArch = 'data:text/javascript,Object.defineProperty(process,"arch",{value:"riscv64"})';
  const result = await run(["node", "--import", fakeArch, join(dir, "bin/codex-orchestrator.js"), "--version"]);
  expect(result.code).toBe(1);
  const platform = hostPlatform().replace(process.arch, "riscv64");
  expect(result.stderr).toBe(
    `codex-orchestrator: no binary for platform ${platform} (release binaries exist for linux-x64, linux-x64-musl, linux-arm64, darwin-x64, darwin-arm64, windows-x64); build one from a checkout with "npm run build".\n`,
  );
});

test("resolveBinary maps Node platform names to release platform ids", async () => {
  const { hostPlatform: id } = (await import(join(REPO_ROOT, "bin/resolve-binary.js"))) as {
    hostPlatform: (platform: string, arch: string, musl: boolean) => string;
  };
  expect(id("linux", "x64", false)).toBe("linux-x64");
  expect(id("linux", "x64", true)).toBe("linux-x64-musl");
  expect(id("linux", "arm64", false)).toBe("linux-arm64");
  expect(id("darwin", "arm64", false)).toBe("darwin-arm64");
  expect(id("darwin", "x64", true)).toBe("darwin-x64");
  expect(id("win32", "x64", false)).toBe("windows-x64");
});
