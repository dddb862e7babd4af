import { expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, scratchDir } from "../helpers/cli.ts";

test("under GitHub Actions exec writes outputs, a step summary and ::error annotations (issue 8)", async () => {
  const w = scratchDir("co-gha-");
  const output = join(w, "github-output.txt");
  const summary = join(w, "step-summary.md");
  writeFileSync(output, "");
  writeFileSync(summary, "");
  const env = { GITHUB_ACTIONS: "true", GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary };
  const r = await runCli(["exec", "--json", "compact", "--", "sh", "-c", "echo broke >&2; exit 3"], { cwd: w, env });
  expect(r.code).toBe(3);
  // Machine output keeps stdout pure JSON; the annotation goes to stderr.
  const event = JSON.parse(r.stdout);
  const runId = event.payload.run.id as string;
  expect(r.stderr).toContain("::error");
  const outputs = readFileSync(output, "utf8");
  expect(outputs).toContain(`run-id=${runId}`);
  expect(outputs).toContain("status=failed");
  expect(outputs).toContain("exit-code=3");
  expect(outputs).toContain(`manifest=${join(w, ".runs/t1/cli", runId, "manifest.json")}`);
  const md = readFileSync(summary, "utf8");
  expect(md).toContain(runId);
  expect(md).toContain("failed");

  const plain = await runCli(["exec", "--json", "compact", "--", "true"], { cwd: w, env: { GITHUB_ACTIONS: undefined, GITHUB_OUTPUT: output } });
  expect(plain.code).toBe(0);
  expect(readFileSync(output, "utf8")).toBe(outputs);
});
