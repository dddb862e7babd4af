import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../../src/core/errors.ts";
import { instructionFields, loadInstructions } from "../../src/run/instructions.ts";
import { useTempDirs } from "./fixtures/temp.ts";

const tempDir = useTempDirs();

describe("instruction loader (§18)", () => {
  test("first example: only AGENTS.md", async () => {
    const repo = tempDir();
    writeFileSync(join(repo, "AGENTS.md"), "# Root\nBe kind.\n");
    const loaded = await loadInstructions(repo);
    expect(loaded.hash).toBe("1d1a9fbd5a751c8a957d1fd5435563e667b187a5fa4edf3b6fb7a415af9cd678");
    expect(instructionFields(loaded)).toEqual({
      instructions_hash: "1d1a9fbd5a751c8a957d1fd5435563e667b187a5fa4edf3b6fb7a415af9cd678",
      instructions_sources: ["AGENTS.md"],
      instructions: {
        hash: "1d1a9fbd5a751c8a957d1fd5435563e667b187a5fa4edf3b6fb7a415af9cd678",
        sources: [{ path: "AGENTS.md", bytes: 16 }],
      },
    });
  });

  test("second example: three sources merged in order, trimmed, joined by a blank line", async () => {
    const repo = tempDir();
    writeFileSync(join(repo, "AGENTS.md"), "# Root\nBe kind.\n");
    mkdirSync(join(repo, "docs"));
    writeFileSync(join(repo, "docs/AGENTS.md"), "\n  Docs rule\n\n");
    mkdirSync(join(repo, ".agent"));
    writeFileSync(join(repo, ".agent/AGENTS.md"), "Agent rule");
    const loaded = await loadInstructions(repo);
    expect(loaded.combined).toBe("# Root\nBe kind.\n\nDocs rule\n\nAgent rule");
    expect(loaded.hash).toBe("5e32ec0cf27f30d3a36761f4dc636705bf9f776cc90448e42d9cfc9b1e394877");
    expect(instructionFields(loaded).instructions_sources).toEqual(["AGENTS.md", "docs/AGENTS.md", ".agent/AGENTS.md"]);
    expect(loaded.sources.map((s) => s.bytes)).toEqual([16, 14, 10]);
  });

  test("missing and blank files are skipped; none → null hash", async () => {
    const repo = tempDir();
    writeFileSync(join(repo, "AGENTS.md"), " \n\t\n");
    writeFileSync(join(repo, "docs"), "a file, not a directory");
    const loaded = await loadInstructions(repo);
    expect(instructionFields(loaded)).toEqual({
      instructions_hash: null,
      instructions_sources: [],
      instructions: { hash: null, sources: [] },
    });
  });

  test("bytes count the raw file, multi-byte characters included", async () => {
    const repo = tempDir();
    writeFileSync(join(repo, "AGENTS.md"), "Règle — ok\n");
    const loaded = await loadInstructions(repo);
    expect(loaded.sources).toEqual([{ path: "AGENTS.md", bytes: Buffer.byteLength("Règle — ok\n") }]);
  });

  test("a directory where a file should be → UsageError naming the absolute path", async () => {
    const repo = tempDir();
    mkdirSync(join(repo, "docs/AGENTS.md"), { recursive: true });
    const error = await loadInstructions(repo).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as Error).message).toStartWith(`Failed to read instructions ${join(repo, "docs/AGENTS.md")}: `);
  });
});
