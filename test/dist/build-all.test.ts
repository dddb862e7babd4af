import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, TEST_VERSION, bigScratch, hostPlatform, release, run } from "./fixture.ts";

const ASSETS = [
  "codex-orchestrator-darwin-arm64.tar.gz",
  "codex-orchestrator-darwin-x64.tar.gz",
  "codex-orchestrator-linux-arm64.tar.gz",
  "codex-orchestrator-linux-x64-musl.tar.gz",
  "codex-orchestrator-linux-x64.tar.gz",
  // build:all falls back to .tar.gz when no zip tool is installed.
  `codex-orchestrator-windows-x64.${Bun.which("zip") === null ? "tar.gz" : "zip"}`,
];

/** The first bytes of the executable inside an archive. */
async function head(archive: string, member: string): Promise<Uint8Array> {
  const cmd = archive.endsWith(".zip") ? ["unzip", "-p", archive, member] : ["tar", "-xzOf", archive, member];
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "ignore" });
  const reader = proc.stdout.getReader();
  const { value } = await reader.read();
  await reader.cancel();
  proc.kill();
  return value ?? new Uint8Array();
}

describe("npm run build:all", () => {
  test(
    "cross-compiles six archives whose SHA256SUMS verify with sha256sum -c",
    async () => {
      const rel = await release();
      console.log(`build:all (6 targets) took ${(rel.buildMs / 1000).toFixed(1)} s`);
      expect(readdirSync(rel.dir).sort()).toEqual([...ASSETS, "SHA256SUMS"].sort());
      const sums = readFileSync(join(rel.dir, "SHA256SUMS"), "utf8");
      expect(sums.trim().split("\n").map((l) => l.split("  ")[1])).toEqual(ASSETS);
      expect(sums).toMatch(/^([0-9a-f]{64} {2}codex-orchestrator-[a-z0-9-]+\.(tar\.gz|zip)\n)+$/);
      const check = await run(["sha256sum", "-c", "SHA256SUMS"], { cwd: rel.dir });
      expect(check.code).toBe(0);
      expect(check.stdout.trim().split("\n")).toEqual(ASSETS.map((a) => `${a}: OK`));
    },
    300_000,
  );

  test("the host archive holds a working binary stamped with the build version", async () => {
    const rel = await release();
    const dir = bigScratch("co-host-");
    const untar = await run(["tar", "-xzf", join(rel.dir, `codex-orchestrator-${hostPlatform()}.tar.gz`), "-C", dir]);
    expect(untar.code).toBe(0);
    expect(readdirSync(dir)).toEqual(["codex-orchestrator"]);
    // No node or bun on PATH: the binary is standalone.
    const version = await run([join(dir, "codex-orchestrator"), "--version"], { env: { PATH: "/usr/bin:/bin" } });
    expect(version).toMatchObject({ code: 0, stdout: `${TEST_VERSION}\n` });
  }, 300_000);

  test("each archive holds an executable of its platform's format", async () => {
    const rel = await release();
    const at = (name: string) => join(rel.dir, name);
    const elfMachine = (b: Uint8Array) => (b[0] === 0x7f && b[1] === 0x45 ? b[18]! | (b[19]! << 8) : -1);
    expect(elfMachine(await head(at(ASSETS[4]!), "codex-orchestrator"))).toBe(0x3e); // x86-64
    expect(elfMachine(await head(at(ASSETS[3]!), "codex-orchestrator"))).toBe(0x3e);
    expect(elfMachine(await head(at(ASSETS[2]!), "codex-orchestrator"))).toBe(0xb7); // AArch64
    // Mach-O 64-bit magic (little endian) and CPU type: x86_64 = 0x01000007, arm64 = 0x0100000c.
    const macho = (b: Uint8Array) => [Buffer.from(b.subarray(0, 4)).toString("hex"), Buffer.from(b).readUInt32LE(4)];
    expect(macho(await head(at(ASSETS[1]!), "codex-orchestrator"))).toEqual(["cffaedfe", 0x01000007]);
    expect(macho(await head(at(ASSETS[0]!), "codex-orchestrator"))).toEqual(["cffaedfe", 0x0100000c]);
    const pe = await head(at(ASSETS[5]!), "codex-orchestrator.exe");
    expect(String.fromCharCode(pe[0]!, pe[1]!)).toBe("MZ");
  }, 300_000);

  test("an unknown target is a usage error naming the valid ones", async () => {
    const result = await run([BUN, "run", "scripts/build-all.ts", "--targets", "linux-x64,plan9-mips", "--out", bigScratch("co-x-")]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "Unknown target: plan9-mips (expected one of linux-x64, linux-x64-musl, linux-arm64, darwin-x64, darwin-arm64, windows-x64)\n",
    );
  });
});
