// Issue 22 points 8, 9 and 11: what the CLI prints — no guardrail noise, the failed stage in `start`'s text result,
// messages that name the real pipeline, argument, value and problem, and labels for allowed failures and timeouts.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, cliEnv, runCli, scratchDir } from "../helpers/cli.ts";
import { specWorkspace } from "../pipeline/fixture.ts";
import { manifestOf, runDirOf, runIds } from "../helpers/runs.ts";

const C = (id: string, title: string, command: string, extra: Record<string, unknown> = {}) => ({ kind: "command", id, title, command, ...extra });
const S = (id: string, title: string, pipeline: string, extra: Record<string, unknown> = {}) => ({ kind: "subpipeline", id, title, pipeline, ...extra });

const twelveErrorLines = "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo problem-$i >&2; done; exit 5";
const CONFIG = {
  pipelines: [
    { id: "quick", title: "Quick checks", stages: [C("lint", "lint", "echo linted")] },
    { id: "broken", title: "Broken checks", stages: [C("compile", "compile", twelveErrorLines)] },
    { id: "parent", title: "Parent", stages: [S("checks", "checks", "quick"), S("more", "more checks", "quick")] },
    { id: "fails", title: "Fails", stages: [C("ok", "ok", "echo ok"), C("boom", "boom", "echo out; echo 'first error' >&2; echo 'second error' >&2; exit 3")] },
    { id: "deep", title: "Deep", stages: [S("checks", "checks", "broken")] },
    { id: "slow", title: "Slow", stages: [C("nap", "nap", "sleep 20", { timeout: 0.5 })] },
    {
      id: "allowed",
      title: "Allowed",
      stages: [C("soft", "soft", "echo soft-error >&2; exit 4", { allowFailure: true }), S("opt", "optional checks", "broken", { optional: true }), C("end", "end", "echo end")],
    },
  ],
};

/** A line-at-a-time view of stderr: every error of these tests is exactly one line. */
function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  return lines[0] as string;
}

describe("issue 22.8: start prints what matters", () => {
  test("no guardrail warning, from the run or its child runs; the summary still records it, naming no script", async () => {
    const w = specWorkspace(CONFIG);
    const r = await runCli(["start", "parent"], { cwd: w });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).not.toContain("Guardrail");
    for (const id of runIds(w)) {
      const m = manifestOf(w, id);
      expect(m.summary).toBe("Guardrail command missing; add a `codex-orchestrator spec-guard` stage to record guardrail results.\nGuardrails: spec-guard command not found.");
    }
  });

  test("in a terminal the spinner lines are not broken by a warning", () => {
    const w = specWorkspace(CONFIG);
    const r = spawnSync("script", ["-qec", `${CLI} start parent`, "/dev/null"], { cwd: w, env: { ...cliEnv(), TERM: "xterm" }, encoding: "utf8", timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain("Guardrail");
    expect(r.stdout).not.toContain("run-mcp-diagnostics");
  });

  test("a failed run's text result names the stage, its exit code and the first lines of its stderr", async () => {
    const w = specWorkspace(CONFIG);
    const r = await runCli(["start", "fails"], { cwd: w });
    expect(r.code).toBe(1);
    const [runId] = runIds(w);
    const root = `.runs/t1/cli/${runId}`;
    expect(r.stdout).toBe(
      [
        `Run started: ${runId}`,
        "Status: failed",
        `Manifest: ${root}/manifest.json`,
        `Log: ${root}/runner.ndjson`,
        "Failed stage: boom (exit code 3)",
        "  first error",
        "  second error",
        `Error file: ${root}/errors/02-boom.json`,
        "",
      ].join("\n"),
    );
    // JSON output keeps exactly its five keys.
    const json = await runCli(["start", "fails", "--format", "json"], { cwd: w });
    expect(Object.keys(JSON.parse(json.stdout))).toEqual(["run_id", "status", "artifact_root", "manifest", "log_path"]);
  });

  test("through a sub-pipeline: the path to the failed stage, ten stderr lines, the rest counted", async () => {
    const w = specWorkspace(CONFIG);
    const r = await runCli(["start", "deep"], { cwd: w });
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[4]).toBe("Failed stage: checks › compile (exit code 5)");
    expect(lines.slice(5, 15)).toEqual(Array.from({ length: 10 }, (_, i) => `  problem-${i + 1}`));
    expect(lines[15]).toBe("  … 2 more lines in the error file");
    const child = runIds(w).find((id) => manifestOf(w, id).pipeline_id === "broken") as string;
    expect(lines[16]).toBe(`Error file: .runs/t1/cli/${child}/errors/01-compile.json`);
    expect(existsSync(join(runDirOf(w, child), "errors/01-compile.json"))).toBe(true);
  });
});

describe("issue 22.9: messages name the real thing", () => {
  test("a sub-pipeline stage is summarised with its own pipeline's title and id", async () => {
    const w = specWorkspace(CONFIG);
    expect((await runCli(["start", "parent"], { cwd: w })).code).toBe(0);
    const parent = manifestOf(w, runIds(w).find((id) => manifestOf(w, id).pipeline_id === "parent") as string);
    expect(parent.commands.map((c) => c.summary?.split("\n")[0])).toEqual([
      "Pipeline 'Quick checks' (quick) succeeded.",
      "Pipeline 'Quick checks' (quick) succeeded.",
    ]);
    const summary = JSON.parse(readFileSync(join(w, parent.run_summary_path as string), "utf8"));
    expect(summary.review.summary.split("\n")[0]).toBe("Pipeline 'Parent' (parent) succeeded.");
    const deep = await runCli(["start", "deep", "--format", "json"], { cwd: w });
    expect(manifestOf(w, JSON.parse(deep.stdout).run_id).commands[0]?.summary?.split("\n")[0]).toBe(
      "Pipeline 'Broken checks' (broken) failed — inspect manifest for details.",
    );
  });

  test("a bad session id names the argument it came from and the value", async () => {
    const w = scratchDir();
    const kill = await runCli(["session", "kill", "../x"], { cwd: w });
    expect(kill.code).toBe(2);
    expect(oneLine(kill.stderr)).toBe(`Invalid session ID "../x" from the <id> argument of session kill: must start with a letter or digit.`);
    const exec = await runCli(["exec", "--session", "a/b", "--", "true"], { cwd: w });
    expect(exec.code).toBe(2);
    expect(oneLine(exec.stderr)).toBe(`Invalid session ID "a/b" from --session: only letters, digits, '.', '_' and '-' are allowed.`);
  });

  test("--cwd naming a file says it is not a directory", async () => {
    const w = scratchDir();
    writeFileSync(join(w, "somefile"), "x");
    const session = await runCli(["session", "start", "s1", "--cwd", "somefile"], { cwd: w });
    expect(session.code).toBe(2);
    expect(oneLine(session.stderr)).toBe("Invalid value for --cwd: somefile (not a directory).");
    const missing = await runCli(["session", "start", "s1", "--cwd", "nope"], { cwd: w });
    expect([missing.code, oneLine(missing.stderr)]).toEqual([2, "Invalid value for --cwd: nope (no such directory)."]);

    const exec = await runCli(["exec", "--json", "compact", "--cwd", "somefile", "--", "true"], { cwd: w });
    expect(exec.code).toBe(1);
    const summary = JSON.parse(exec.stdout.trimEnd().split("\n").at(-1) as string);
    expect(summary.payload.run.summary).toBe(`Execution error: working directory is not a directory: ${join(w, "somefile")}`);
    expect(exec.stderr).not.toContain("not found");

    const stage = specWorkspace({ pipelines: [{ id: "p", title: "P", stages: [C("a", "a", "true", { cwd: "AGENTS.md" })] }] });
    const r = await runCli(["start", "p", "--format", "json"], { cwd: stage });
    expect(manifestOf(stage, JSON.parse(r.stdout).run_id).commands[0]?.summary).toBe(
      `Execution error: working directory is not a directory: ${join(stage, "AGENTS.md")}`,
    );
  });

  test("a relative session --cwd is the caller's directory, not the session host's", async () => {
    const w = scratchDir();
    mkdirSync(join(w, "sub"));
    const runs = join(w, ".runs");
    const env = { CODEX_ORCHESTRATOR_RUNS_DIR: runs };
    try {
      const start = await runCli(["session", "start", "rel", "--cwd", "sub", "--format", "json"], { cwd: w, env });
      expect(start.code).toBe(0);
      expect(JSON.parse(start.stdout).session.cwd).toBe(join(w, "sub"));
    } finally {
      await runCli(["session", "kill", "rel"], { cwd: w, env });
    }
  });

  test("help <command> prints that command's help", async () => {
    const w = scratchDir();
    const help = await runCli(["help", "exec"], { cwd: w });
    expect(help.code).toBe(0);
    expect(help.stdout).toStartWith("Usage: codex-orchestrator exec [options] [--] <command> [args...]\n");
    expect(help.stdout).toBe((await runCli(["exec", "--help"], { cwd: w })).stdout);
    const unknown = await runCli(["help", "exce"], { cwd: w });
    expect([unknown.code, unknown.stdout, oneLine(unknown.stderr)]).toEqual([2, "", "Unknown command 'exce'. Did you mean 'exec'?"]);
    expect((await runCli(["help"], { cwd: w })).stdout).toStartWith("Usage: codex-orchestrator <command> [options]");
  });

  test("exec --help after option values is exec's help; after the command word it belongs to the command", async () => {
    const w = scratchDir();
    const usage = (await runCli(["exec", "--help"], { cwd: w })).stdout;
    for (const args of [
      ["exec", "--sandbox", "read-only", "--help"],
      ["exec", "--json", "compact", "--cwd", w, "-h", "--", "false"],
      ["exec", "--tty", "--timeout", "5", "--help", "echo"],
    ]) {
      const r = await runCli(args, { cwd: w });
      expect([r.code, r.stdout, r.stderr]).toEqual([0, usage, ""]);
    }
    // After the command word (or `--`), --help is the command's argument: `exec ls --help` is not exec's help.
    const cmd = await runCli(["exec", "--json", "compact", "--", "sh", "-c", 'echo "$1"', "sh", "--help"], { cwd: w });
    expect(cmd.code).toBe(0);
    expect(JSON.parse(cmd.stdout).payload.outputs.stdout).toBe("--help\n");
  });

  test("an unknown command is one stderr line with a suggestion, exit 2, no help dump", async () => {
    const w = scratchDir();
    const typo = await runCli(["exce", "--", "true"], { cwd: w });
    expect([typo.code, typo.stdout, typo.stderr]).toEqual([2, "", "Unknown command 'exce'. Did you mean 'exec'?\n"]);
    const statu = await runCli(["statu"], { cwd: w });
    expect(oneLine(statu.stderr)).toBe("Unknown command 'statu'. Did you mean 'status'?");
    const bogus = await runCli(["bogus"], { cwd: w });
    expect([bogus.code, bogus.stdout, bogus.stderr]).toEqual([2, "", "Unknown command 'bogus'. Run 'codex-orchestrator help' to list the commands.\n"]);
  });

  test("--parent-run is checked as a run id before anything is written", async () => {
    const w = specWorkspace(CONFIG);
    const r = await runCli(["start", "quick", "--parent-run", "../../x"], { cwd: w });
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toBe(`Invalid run ID "../../x" from --parent-run: expected YYYY-MM-DDTHH-MM-SS-mmmZ-xxxxxxxx.`);
    expect(existsSync(join(w, ".runs"))).toBe(false);
    const parent = "2025-11-04T02-45-12-345Z-abcdef01";
    const ok = await runCli(["start", "quick", "--parent-run", parent, "--format", "json"], { cwd: w });
    expect(ok.code).toBe(0);
    expect(manifestOf(w, JSON.parse(ok.stdout).run_id).parent_run_id).toBe(parent);
  });
});

describe("issue 22.11: allowed failures and timeouts say what happened", () => {
  test("an allowed failure reads failed (allowed) in status, notes, the terminal and the step summary", async () => {
    const w = specWorkspace(CONFIG);
    const stepSummary = join(w, "step-summary.md");
    const env = { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: stepSummary, GITHUB_OUTPUT: join(w, "gh-output") };
    const r = await runCli(["start", "allowed"], { cwd: w, env });
    expect(r.code).toBe(0);
    const runId = runIds(w).find((id) => manifestOf(w, id).pipeline_id === "allowed") as string;
    const m = manifestOf(w, runId);
    // The manifest keeps its schema's status.
    expect(m.commands.map((c) => c.status)).toEqual(["skipped", "skipped", "succeeded"]);

    const status = await runCli(["status", runId], { cwd: w });
    expect(status.stdout).toContain("  [failed (allowed)] soft — Exited with code 4 — soft-error");
    expect(status.stdout).toContain("  [failed (allowed)] optional checks — Pipeline 'Broken checks' (broken) failed");
    expect(status.stdout).not.toContain("skipped");

    const notes = JSON.parse(readFileSync(join(w, m.run_summary_path as string), "utf8")).build.notes;
    expect(notes).toBe("soft: Exited with code 4 — soft-error\noptional checks: failed (allowed)\nend: end");

    const md = readFileSync(stepSummary, "utf8");
    expect(md).toContain("| 1 | soft | ⚠️ failed (allowed) |");
    expect(md).not.toContain("skipped");

    const tty = spawnSync("script", ["-qec", `${CLI} start allowed`, "/dev/null"], { cwd: w, env: { ...cliEnv(), TERM: "dumb" }, encoding: "utf8", timeout: 30_000 });
    expect(tty.status).toBe(0);
    expect(tty.stdout).toMatch(/failed \(allowed\) soft \(\d/);
    expect(tty.stdout).toMatch(/failed \(allowed\) optional checks \(\d/);
    expect(tty.stdout).not.toContain("skipped");
  });

  test("a timed-out stage says it timed out after the configured seconds, in the manifest and the result", async () => {
    const w = specWorkspace(CONFIG);
    const r = await runCli(["start", "slow"], { cwd: w });
    expect(r.code).toBe(1);
    const [runId] = runIds(w);
    const m = manifestOf(w, runId as string);
    expect([m.commands[0]?.status, m.commands[0]?.exit_code, m.commands[0]?.summary]).toEqual(["failed", 143, "Command timed out after 0.5s"]);
    expect(r.stdout).toContain("Failed stage: nap (exit code 143): Command timed out after 0.5s\n");
    expect(r.stdout).not.toContain("Terminated with signal");
  });

  test("exec --timeout: the run summary says timed out after N s", async () => {
    const w = scratchDir();
    const r = await runCli(["exec", "--json", "compact", "--timeout", "1", "--", "sleep", "20"], { cwd: w });
    expect(r.code).toBe(143);
    const summary = JSON.parse(r.stdout.trimEnd().split("\n").at(-1) as string);
    expect(summary.payload.result.timedOut).toBe(true);
    expect(summary.payload.run.summary).toBe("Command timed out after 1s");
  });
});
