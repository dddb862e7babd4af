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

test("start under GitHub Actions: outputs, step summary with the stages, ::error for the failed stage", async () => {
  const w = scratchDir("co-gha-start-");
  writeFileSync(
    join(w, "codex.orchestrator.json"),
    JSON.stringify({
      pipelines: [
        {
          id: "ci",
          title: "CI",
          stages: [
            { kind: "command", id: "ok", title: "ok stage", command: "echo fine" },
            { kind: "command", id: "boom", title: "boom stage", command: "echo nope >&2; exit 4" },
          ],
        },
      ],
    }),
  );
  const output = join(w, "out.txt");
  const summary = join(w, "summary.md");
  const r = await runCli(["start", "ci"], { cwd: w, env: { GITHUB_ACTIONS: "true", GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary } });
  expect(r.code).toBe(1);
  const runId = /Run started: (\S+)/.exec(r.stdout)?.[1] as string;
  expect(readFileSync(output, "utf8")).toContain(`run-id=${runId}`);
  expect(readFileSync(output, "utf8")).toContain("status=failed");
  expect(readFileSync(output, "utf8")).toContain("exit-code=1");
  const md = readFileSync(summary, "utf8");
  expect(md).toContain("ok stage");
  expect(md).toContain("boom stage");
  expect(r.stdout).toMatch(/::error[^\n]*boom stage/);
});
