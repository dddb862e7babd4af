// scripts/build-sdk.ts: the bundle imports only node: built-ins, and a strict TypeScript consumer type-checks against
// the emitted declarations with nothing but the package (no valibot, no skipLibCheck).
import { describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildSdk } from "../../scripts/build-sdk.ts";
import { REPO_ROOT, scratchDir } from "./fixtures.mjs";

describe("build-sdk", () => {
  test("bundle and declarations", async () => {
    const dir = scratchDir("co-sdk-build-");
    const built = await buildSdk(join(dir, "dist/sdk"));
    const js = readFileSync(built.js, "utf8");
    const specifiers = [...js.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
    expect(specifiers.length).toBeGreaterThan(0);
    expect(specifiers.every((s) => s?.startsWith("node:"))).toBe(true);
    expect(js).not.toContain("Bun.");

    writeFileSync(
      join(dir, "consumer.mts"),
      `import { ExecClient, Orchestrator, BinaryNotFoundError, type OrchestratorEvent, type RunSummaryPayload } from "./dist/sdk/index.js";
const run = new Orchestrator({ binaryPath: "x" }).exec("echo", ["hi"], { timeout: 5, sandbox: "read-only", tty: true });
for await (const e of run) {
  if (e.type === "exec:chunk") { const data: string = e.payload.data; void data; }
  if (e.type === "stage:end") { const code: number | null = e.payload.exitCode; void code; }
}
const summary: RunSummaryPayload = await run.result;
const exitCode: number | null | undefined = summary.result?.exitCode;
const compat = await new ExecClient().run({ command: "echo" }).result;
const status: "succeeded" | "failed" | "cancelled" = compat.status;
const event: OrchestratorEvent | undefined = compat.events[0]?.type === "run:summary" ? undefined : undefined;
void exitCode; void status; void event; void BinaryNotFoundError;
`,
    );
    const tsc = Bun.spawnSync(
      [join(REPO_ROOT, "node_modules/.bin/tsc"), "--noEmit", "--ignoreConfig", "--strict", "--target", "ES2022", "--module", "NodeNext",
        "--moduleResolution", "NodeNext", "--types", "node", "--typeRoots", join(REPO_ROOT, "node_modules/@types"), join(dir, "consumer.mts")],
      { cwd: dir, stdout: "pipe", stderr: "pipe" },
    );
    expect(`${tsc.stdout}${tsc.stderr}`).toBe("");
    expect(tsc.exitCode).toBe(0);
  }, 60_000);

  test("the bundle finds the binary installed with its package, else names every place it tried", async () => {
    const pkg = scratchDir("co-sdk-pkg-");
    await buildSdk(join(pkg, "dist/sdk"));
    mkdirSync(join(pkg, "bin"));
    copyFileSync(join(REPO_ROOT, "bin/resolve-binary.js"), join(pkg, "bin/resolve-binary.js"));
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "codex-orchestrator", type: "module" }));
    const sdk = (await import(join(pkg, "dist/sdk/index.js"))) as typeof import("../../src/sdk/index.ts");
    const env = { CODEX_ORCHESTRATOR_BIN: undefined, PATH: join(pkg, "empty") };

    const missing = await new sdk.Orchestrator({ env }).binary().catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(sdk.BinaryNotFoundError);
    const tried = (missing as InstanceType<typeof sdk.BinaryNotFoundError>).tried;
    expect(tried).toHaveLength(3);
    expect(tried[0]).toBe("CODEX_ORCHESTRATOR_BIN (unset)");
    expect(tried[1]).toStartWith("the package's binary (codex-orchestrator: ");
    expect(tried[2]).toBe(`codex-orchestrator on PATH (not in ${join(pkg, "empty")})`);

    const binary = join(pkg, "dist/codex-orchestrator");
    writeFileSync(binary, "#!/bin/sh\necho 9.9.9\n");
    chmodSync(binary, 0o755);
    expect(await new sdk.Orchestrator({ env }).binary()).toBe(binary);
    expect(await new sdk.Orchestrator({ env }).version()).toBe("9.9.9");
  }, 60_000);
});
