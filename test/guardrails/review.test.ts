import { expect, test } from "bun:test";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { RunFailedError, UsageError } from "../../src/core/errors.ts";
import { LOCAL_HANDOFF_WARNING, NO_MANIFEST_MESSAGE, runReview } from "../../src/guardrails/review.ts";
import { scratchDir } from "../helpers/cli.ts";
import { CODEX_HELP_WITH_REVIEW, fakeCodexDir } from "./fake-codex.ts";

const RUN = "2026-11-24T10-00-00-000Z-0123abcd";

function workspace(): { cwd: string; manifest: string } {
  const cwd = scratchDir();
  const dir = join(cwd, ".runs/t1/cli", RUN);
  mkdirSync(dir, { recursive: true });
  const manifest = join(dir, "manifest.json");
  writeFileSync(manifest, JSON.stringify({ task_id: "t1", run_id: RUN, status: "succeeded", summary: "All good." }));
  return { cwd, manifest };
}

function streams(input = "", isTTY = false) {
  const stdin = Object.assign(new PassThrough(), { isTTY });
  stdin.end(input);
  const out = { stdout: "", stderr: "" };
  const stdout = new PassThrough().on("data", (c) => (out.stdout += String(c)));
  const stderr = new PassThrough().on("data", (c) => (out.stderr += String(c)));
  return { io: { stdin, stdout, stderr }, out };
}

const noCodex = { PATH: "/usr/bin:/bin" };

test("local hand-off without a terminal: summary only, nothing written", async () => {
  const { cwd } = workspace();
  const before = readdirSync(cwd, { recursive: true }).sort();
  const { io, out } = streams("1\n");
  await runReview({ cwd, env: noCodex, ...io });
  expect(out.stderr).toBe(`${LOCAL_HANDOFF_WARNING}\n`);
  expect(out.stdout).toBe(`\nTask:    t1\nRun ID:  ${RUN}\nStatus:  succeeded\n\nSummary:\n  All good.\n\n`);
  expect(readdirSync(cwd, { recursive: true }).sort()).toEqual(before);
});

test("local hand-off on a terminal records the chosen outcome", async () => {
  const { cwd } = workspace();
  const { io, out } = streams("2\n", true);
  await runReview({ cwd, env: noCodex, ...io });
  expect(out.stdout).toContain("Select review outcome:\n1. Approve run\n");
  expect(out.stdout.endsWith(
    `Enter choice [1-4]: \nReview outcome recorded: 2. Request changes. Attach results referencing .runs/t1/cli/${RUN}/manifest.json.\n`,
  )).toBe(true);
});

test("codex with a review command gets the absolute manifest path", async () => {
  const { cwd, manifest } = workspace();
  const codex = fakeCodexDir(CODEX_HELP_WITH_REVIEW, 0);
  const { io, out } = streams();
  await runReview({ cwd, env: { PATH: `${codex.dir}:/usr/bin:/bin` }, ...io });
  expect(out.stdout).toBe(`Launching Codex review for .runs/t1/cli/${RUN}/manifest.json\n`);
  expect(out.stderr).toBe("");
  expect(readFileSync(codex.argvLog, "utf8")).toBe(`review\n${manifest}\n--\n`);

  const failing = fakeCodexDir(CODEX_HELP_WITH_REVIEW, 3);
  const other = streams();
  await expect(runReview({ cwd, env: { PATH: failing.dir }, ...other.io })).rejects.toThrow(
    new RunFailedError("codex review exited with code 3"),
  );
});

test("--manifest relative to the cwd; --task limits the search; errors", async () => {
  const { cwd } = workspace();
  const elsewhere = join(cwd, "m.json");
  writeFileSync(elsewhere, JSON.stringify({ taskId: "legacy", runId: "r0" }));
  const a = streams();
  await runReview({ cwd, env: noCodex, manifest: "m.json", ...a.io });
  expect(a.out.stdout).toContain("Task:    legacy\nRun ID:  r0\nStatus:  unknown\n");

  await expect(runReview({ cwd, env: noCodex, task: "t2", ...streams().io })).rejects.toThrow(NO_MANIFEST_MESSAGE);
  await expect(runReview({ cwd, env: noCodex, task: "../t1", ...streams().io })).rejects.toBeInstanceOf(UsageError);
  await expect(runReview({ cwd: scratchDir(), env: noCodex, ...streams().io })).rejects.toThrow(NO_MANIFEST_MESSAGE);
  // <runs> from the environment.
  const b = streams();
  await runReview({ cwd: scratchDir(), env: { ...noCodex, CODEX_ORCHESTRATOR_RUNS_DIR: join(cwd, ".runs") }, ...b.io });
  expect(b.out.stdout).toContain(`Run ID:  ${RUN}`);
  await expect(runReview({ cwd, env: noCodex, manifest: "missing.json", ...streams().io })).rejects.toThrow(
    `Failed to load manifest at ${join(cwd, "missing.json")}: `,
  );
});
