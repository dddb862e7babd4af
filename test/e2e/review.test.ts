import { expect, test } from "bun:test";
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, cliEnv, runCli, scratchDir } from "../helpers/cli.ts";
import { CODEX_HELP_WITHOUT_REVIEW, CODEX_HELP_WITH_REVIEW, fakeCodexDir } from "../guardrails/fake-codex.ts";

const OLD_RUN = "2026-11-20T10-00-00-000Z-0000aaaa";
const NEW_RUN = "2026-11-24T10-00-00-000Z-0123abcd";
const WARNING = "codex CLI does not expose a review command; running local review hand-off instead.\n";
const noCodex = { PATH: "/usr/bin:/bin" };

/** A workspace with two runs of task t1; the newer one by mtime is NEW_RUN. */
function workspace(): string {
  const cwd = scratchDir();
  for (const [run, mtime, summary] of [
    [OLD_RUN, 1_000, "old run"],
    [NEW_RUN, 2_000, "Stage 'lint' failed with exit code 1.\nGuardrails: spec-guard failed (1/1 failed)."],
  ] as const) {
    const dir = join(cwd, ".runs/t1/cli", run);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, "manifest.json");
    writeFileSync(path, JSON.stringify({ task_id: "t1", run_id: run, status: "failed", summary }, null, 2));
    utimesSync(path, mtime, mtime);
  }
  return cwd;
}

const NEW_SUMMARY_BLOCK = [
  "",
  "Task:    t1",
  `Run ID:  ${NEW_RUN}`,
  "Status:  failed",
  "",
  "Summary:",
  "  Stage 'lint' failed with exit code 1.",
  "  Guardrails: spec-guard failed (1/1 failed).",
  "",
  "",
].join("\n");

test("no codex, stdin not a TTY: summary of the newest run, no prompt (acceptance 43)", async () => {
  const cwd = workspace();
  const result = await runCli(["review"], { cwd, env: noCodex });
  expect(result).toMatchObject({ code: 0, stderr: WARNING, stdout: NEW_SUMMARY_BLOCK });
  // A codex without a review command is treated the same way.
  const codex = fakeCodexDir(CODEX_HELP_WITHOUT_REVIEW);
  const withOldCodex = await runCli(["review", "--task=t1"], { cwd, env: { PATH: `${codex.dir}:/usr/bin:/bin` } });
  expect(withOldCodex).toMatchObject({ code: 0, stderr: WARNING, stdout: NEW_SUMMARY_BLOCK });
});

test("errors: missing manifest, empty runs, bad options", async () => {
  const cwd = workspace();
  const missing = await runCli(["review", "--manifest", "missing.json"], { cwd, env: noCodex });
  expect(missing.code).toBe(1);
  expect(missing.stderr).toStartWith(`${WARNING}[run-review] failed: Failed to load manifest at ${join(cwd, "missing.json")}: `);
  const empty = await runCli(["review"], { cwd: scratchDir(), env: noCodex });
  expect(empty).toMatchObject({
    code: 1,
    stdout: "",
    stderr: "[run-review] failed: No run manifests found. Provide --manifest or execute the orchestrator first.\n",
  });
  expect((await runCli(["review", "--task", "t2"], { cwd, env: noCodex })).code).toBe(1);
  expect(await runCli(["review", "--task", "a..b"], { cwd, env: noCodex })).toMatchObject({
    code: 2,
    stderr: `Invalid task ID "a..b" from --task: must not contain '..'.\n`,
  });
  expect(await runCli(["review", "--bogus"], { cwd, env: noCodex })).toMatchObject({
    code: 2,
    stderr: "Unknown review option: --bogus\n",
  });
  expect(await runCli(["review", "--manifest"], { cwd, env: noCodex })).toMatchObject({
    code: 2,
    stderr: "--manifest requires a value.\n",
  });
});

test("codex with a review command: launched with the absolute manifest path", async () => {
  const cwd = workspace();
  const codex = fakeCodexDir(CODEX_HELP_WITH_REVIEW, 0);
  const result = await runCli(["review", "--manifest", `.runs/t1/cli/${OLD_RUN}/manifest.json`], {
    cwd,
    env: { PATH: `${codex.dir}:/usr/bin:/bin` },
  });
  expect(result).toMatchObject({
    code: 0,
    stdout: `Launching Codex review for .runs/t1/cli/${OLD_RUN}/manifest.json\n`,
    stderr: "",
  });
  expect(readFileSync(codex.argvLog, "utf8")).toBe(`review\n${join(cwd, ".runs/t1/cli", OLD_RUN, "manifest.json")}\n--\n`);

  const failing = fakeCodexDir(CODEX_HELP_WITH_REVIEW, 5);
  const failed = await runCli(["review"], { cwd, env: { PATH: `${failing.dir}:/usr/bin:/bin` } });
  expect(failed).toMatchObject({ code: 1, stderr: "[run-review] failed: codex review exited with code 5\n" });
  expect(readFileSync(failing.argvLog, "utf8")).toBe(`review\n${join(cwd, ".runs/t1/cli", NEW_RUN, "manifest.json")}\n--\n`);
});

/** The CLI on a pseudo-terminal: collects everything it prints; `waitFor` resolves once `text` has appeared. */
function onTerminal(args: string[], cwd: string) {
  let output = "";
  const waiters: { text: string; resolve: () => void }[] = [];
  const proc = Bun.spawn([CLI, ...args], {
    cwd,
    env: cliEnv(noCodex),
    terminal: {
      cols: 200,
      rows: 50,
      data(_term, data) {
        output += new TextDecoder().decode(data);
        for (const w of [...waiters]) {
          if (!output.includes(w.text)) continue;
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      },
    },
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 30_000);
  return {
    write: (text: string) => proc.terminal?.write(text),
    waitFor: (text: string) =>
      new Promise<void>((resolve) => (output.includes(text) ? resolve() : waiters.push({ text, resolve }))),
    exited: async () => {
      const code = await proc.exited;
      clearTimeout(timer);
      // Give the PTY reader a moment to deliver the last bytes, then close it.
      await Bun.sleep(100);
      proc.terminal?.close();
      return { code, output: output.replaceAll("\r\n", "\n") };
    },
  };
}

test("on a terminal: asks for an outcome until a valid choice, then records it", async () => {
  const cwd = workspace();
  const session = onTerminal(["review"], cwd);
  await session.waitFor("Enter choice [1-4]: ");
  session.write("7\n");
  await session.waitFor("Invalid selection. Please choose a number between 1 and 4.");
  session.write("1\n");
  const { code, output } = await session.exited();
  expect(code).toBe(0);
  expect(output).toContain(WARNING);
  expect(output).toContain(NEW_SUMMARY_BLOCK);
  expect(output).toContain(
    "Select review outcome:\n1. Approve run\n2. Request changes\n3. Comment only\n4. Skip for now\nEnter choice [1-4]: ",
  );
  expect(output).toEndWith(
    `\nReview outcome recorded: 1. Approve run. Attach results referencing .runs/t1/cli/${NEW_RUN}/manifest.json.\n`,
  );
});

test("on a terminal: end of input before an answer exits 0", async () => {
  const cwd = workspace();
  const session = onTerminal(["review"], cwd);
  await session.waitFor("Enter choice [1-4]: ");
  session.write("\x04"); // ^D on an empty line: end of input
  const { code, output } = await session.exited();
  expect(code).toBe(0);
  expect(output).not.toContain("Review outcome recorded");
});
