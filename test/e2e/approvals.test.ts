// `codex-orchestrator approvals list | grant <key> | revoke <key>` on the compiled binary, against a private
// XDG_STATE_HOME.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { runCli, scratchDir } from "../helpers/cli.ts";

const home = scratchDir("co-e2e-approvals-");
const env = { XDG_STATE_HOME: join(home, "state"), HOME: home };
const cache = join(home, "state", "codex-orchestrator", "approvals.json");
afterAll(() => rmSync(home, { recursive: true, force: true }));

const cli = (...args: string[]) => runCli(["approvals", ...args], { cwd: home, env });

describe("approvals command", () => {
  test("grant, list (text and json), revoke", async () => {
    expect(await cli("list")).toMatchObject({ code: 0, stdout: "No approvals granted.\n", stderr: "" });
    expect(await cli("grant", "deploy-prod", "--description=prod deploy")).toMatchObject({
      code: 0,
      stdout: "Granted approval deploy-prod.\n",
    });
    expect(statSync(cache).mode & 0o777).toBe(0o600);
    const text = await cli("list");
    expect(text.stdout).toMatch(/^deploy-prod {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}cli {2}prod deploy\n$/);
    const json = JSON.parse((await cli("list", "--format", "json")).stdout);
    expect(json).toEqual([expect.objectContaining({ key: "deploy-prod", source: "cli", description: "prod deploy" })]);
    expect(JSON.parse(readFileSync(cache, "utf8")).grants["deploy-prod"].key).toBe("deploy-prod");
    expect(await cli("revoke", "deploy-prod")).toMatchObject({ code: 0, stdout: "Revoked approval deploy-prod.\n" });
    expect((await cli("list")).stdout).toBe("No approvals granted.\n");
  });

  test("bad input exits 2 with one stderr line", async () => {
    const cases: [string[], string][] = [
      [[], "approvals requires a subcommand: list, grant <key> or revoke <key>.\n"],
      [["approve"], "Unknown approvals subcommand: approve (expected list, grant or revoke).\n"],
      [["grant"], "approvals grant requires a key.\n"],
      [["revoke", "nope"], "No approval granted for key nope.\n"],
      [["list", "--bogus"], "Unknown approvals option: --bogus\n"],
      [["list", "--format=xml"], "Invalid value for --format: xml (expected json or text).\n"],
      [["list", "extra"], "Unexpected argument: extra\n"],
      [["grant", "a", "b"], "Unexpected argument: b\n"],
    ];
    for (const [args, stderr] of cases) {
      const result = await cli(...args);
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 2, stderr });
    }
    const bad = await cli("grant", "bad key");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toStartWith('Invalid approval key "bad key" from approvals grant: ');
  });

  test("--help prints the usage", async () => {
    const help = await cli("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toStartWith("Usage: codex-orchestrator approvals list");
  });
});
