import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import {
  formatDuration,
  formatOutputs,
  renderAnnotations,
  renderStepSummary,
  reportLine,
  reportToGithubActions,
  slowestStages,
} from "../../src/cli/github-actions.ts";
import { type CommandEntry, Manifest } from "../../src/core/schemas/manifest.ts";
import { scratchDir } from "../helpers/cli.ts";

const RUN_ID = "2025-11-04T02-45-12-345Z-abcdef01";

function entry(index: number, over: Partial<CommandEntry>): CommandEntry {
  return {
    index,
    id: `stage-${index}`,
    title: `Stage ${index}`,
    command: "npm test",
    kind: "command",
    status: "succeeded",
    started_at: "2025-11-04T02:45:12.400Z",
    completed_at: "2025-11-04T02:45:13.650Z",
    exit_code: 0,
    summary: "ok",
    log_path: null,
    error_file: null,
    sub_run_id: null,
    ...over,
  };
}

function manifest(over: Partial<Manifest> = {}): Manifest {
  // Parsed through the schema so the fixture is a real manifest shape.
  return v.parse(Manifest, {
    version: 1,
    task_id: "t1",
    task_slug: "t1",
    run_id: RUN_ID,
    parent_run_id: null,
    pipeline_id: "diagnostics",
    pipeline_title: "Diagnostics",
    runner: "codex-cli",
    approval_policy: null,
    status: "failed",
    status_detail: "stage:lint:failed",
    started_at: "2025-11-04T02:45:12.345Z",
    completed_at: "2025-11-04T02:47:19.345Z",
    updated_at: "2025-11-04T02:47:19.345Z",
    heartbeat_at: "2025-11-04T02:47:19.345Z",
    heartbeat_interval_seconds: 5,
    heartbeat_stale_after_seconds: 30,
    artifact_root: `.runs/t1/cli/${RUN_ID}`,
    compat_path: `.runs/t1/cli/${RUN_ID}`,
    log_path: `.runs/t1/cli/${RUN_ID}/runner.ndjson`,
    summary: "lint failed",
    metrics_recorded: true,
    resume_token: "a".repeat(64),
    resume_events: [],
    approvals: [],
    commands: [
      entry(1, { id: "build", title: "Build | bundle" }),
      entry(2, {
        id: "lint",
        title: "Lint",
        status: "failed",
        exit_code: 3,
        summary: "2 errors, 50% done: a,b\nsecond line",
        completed_at: "2025-11-04T02:45:12.750Z",
      }),
      entry(3, { id: "test", title: "Test", status: "skipped", started_at: null, completed_at: null, exit_code: null, summary: null }),
    ],
    child_runs: [],
    run_summary_path: null,
    instructions_hash: null,
    instructions_sources: [],
    schema_version: 1,
    instructions: { hash: null, sources: [] },
    toolRuns: [],
    metrics: null,
    notifications: null,
    ...over,
  });
}

function actionsEnv(dir: string): { GITHUB_ACTIONS: string; GITHUB_OUTPUT: string; GITHUB_STEP_SUMMARY: string } {
  return {
    GITHUB_ACTIONS: "true",
    GITHUB_OUTPUT: join(dir, "output"),
    GITHUB_STEP_SUMMARY: join(dir, "summary.md"),
  };
}

/** Parses a GITHUB_OUTPUT file the way the runner does (`k=v` and `k<<DELIM` blocks). */
function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      out[heredoc[1]!] = lines.slice(i + 1, end).join("\n");
      i = end;
    } else if (line.includes("=")) {
      out[line.slice(0, line.indexOf("="))] = line.slice(line.indexOf("=") + 1);
    }
  }
  return out;
}

describe("reportToGithubActions", () => {
  test("appends outputs and the step summary, prints annotations on stdout for text output", () => {
    const dir = scratchDir();
    const env = actionsEnv(dir);
    writeFileSync(env.GITHUB_OUTPUT, "earlier=1\n");
    writeFileSync(env.GITHUB_STEP_SUMMARY, "# earlier step\n");
    const stdout: string[] = [];
    const stderr: string[] = [];
    const manifestPath = join(dir, `.runs/t1/cli/${RUN_ID}/manifest.json`);
    const wrote = reportToGithubActions(
      { manifest: manifest(), manifestPath, exitCode: 1 },
      { env, machineOutput: false, stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t) },
    );
    expect(wrote).toBe(true);
    const outputs = parseOutputFile(readFileSync(env.GITHUB_OUTPUT, "utf8"));
    expect(outputs).toEqual({ earlier: "1", "run-id": RUN_ID, status: "failed", "exit-code": "1", manifest: manifestPath });

    const summary = readFileSync(env.GITHUB_STEP_SUMMARY, "utf8");
    expect(summary.startsWith("# earlier step\n### ❌ codex-orchestrator: Diagnostics — failed\n")).toBe(true);
    expect(summary).toContain(`Run \`${RUN_ID}\` · task \`t1\` · pipeline \`diagnostics\` · 2 m 07 s · exit code 1`);
    expect(summary).toContain("| 1 | Build \\| bundle | ✅ succeeded | 1.3 s | 0 | ok |");
    expect(summary).toContain("| 2 | Lint | ❌ failed | 350 ms | 3 | 2 errors, 50% done: a,b<br>second line |");
    expect(summary).toContain("| 3 | Test | ⚠️ failed (allowed) | — | — |  |");
    expect(summary).toContain(`Manifest: \`${manifestPath}\``);
    expect(summary).toContain("Status detail: `stage:lint:failed`");

    expect(stderr).toEqual([]);
    expect(stdout.join("")).toBe(
      `::error title=Stage lint failed::Lint (exit code 3): 2 errors, 50%25 done: a,b%0Asecond line — run ${RUN_ID}\n`,
    );
  });

  test("machine-readable stdout: annotations go to stderr, stdout untouched", () => {
    const dir = scratchDir();
    const stdout: string[] = [];
    const stderr: string[] = [];
    reportToGithubActions(
      { manifest: manifest(), manifestPath: "m.json", exitCode: 3 },
      { env: actionsEnv(dir), machineOutput: true, stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t) },
    );
    expect(stdout).toEqual([]);
    expect(stderr.join("")).toStartWith("::error title=Stage lint failed::");
  });

  test("does nothing outside GitHub Actions", () => {
    const dir = scratchDir();
    const env = { ...actionsEnv(dir), GITHUB_ACTIONS: "false" };
    const stdout: string[] = [];
    const wrote = reportToGithubActions(
      { manifest: manifest(), manifestPath: "m.json", exitCode: 1 },
      { env, machineOutput: false, stdout: (t) => stdout.push(t) },
    );
    expect(wrote).toBe(false);
    expect(stdout).toEqual([]);
    expect(() => readFileSync(env.GITHUB_OUTPUT)).toThrow();
  });

  test("an unwritable GITHUB_OUTPUT gives one warning line and the summary is still written", () => {
    const dir = scratchDir();
    const env = { ...actionsEnv(dir), GITHUB_OUTPUT: join(dir, "missing-dir", "output") };
    const stderr: string[] = [];
    reportToGithubActions(
      { manifest: manifest({ status: "succeeded", status_detail: null }), manifestPath: "m.json", exitCode: 0 },
      { env, machineOutput: false, stdout: () => {}, stderr: (t) => stderr.push(t) },
    );
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toStartWith(`[Codex-Orchestrator] Cannot write GITHUB_OUTPUT ${env.GITHUB_OUTPUT}: `);
    expect(readFileSync(env.GITHUB_STEP_SUMMARY, "utf8")).toContain("— succeeded");
  });
});

describe("renderers", () => {
  test("a failed run without a failed stage gets one run-level annotation; a succeeded run none", () => {
    const cancelled = manifest({
      status: "cancelled",
      status_detail: "cancelled:SIGINT",
      commands: [entry(1, { status: "cancelled", exit_code: 130 })],
    });
    expect(renderAnnotations(cancelled)).toBe(
      `::error title=codex-orchestrator run cancelled::${RUN_ID}: cancelled:SIGINT\n`,
    );
    expect(renderAnnotations(manifest({ status: "succeeded", status_detail: null, commands: [entry(1, {})] }))).toBe("");
  });

  test("annotation properties escape ':' and ','", () => {
    const m = manifest({ commands: [entry(1, { id: "a:b,c", status: "failed", exit_code: 1, summary: null })] });
    expect(renderAnnotations(m)).toBe(`::error title=Stage a%3Ab%2Cc failed::Stage 1 (exit code 1) — run ${RUN_ID}\n`);
  });

  test("multi-line output values use a delimiter", () => {
    expect(formatOutputs([["a", "1"], ["b", "x\ny"]])).toBe("a=1\nb<<CODEX_ORCHESTRATOR_EOF\nx\ny\nCODEX_ORCHESTRATOR_EOF\n");
  });

  test("durations", () => {
    expect(formatDuration(null, "2025-01-01T00:00:00.000Z")).toBe("—");
    expect(formatDuration("2025-01-01T00:00:00.000Z", "2025-01-01T00:00:00.005Z")).toBe("5 ms");
    expect(formatDuration("2025-01-01T00:00:00.000Z", "2025-01-01T01:00:01.000Z")).toBe("60 m 01 s");
  });

  test("stage cells cannot inject HTML", () => {
    const m = manifest({ commands: [entry(1, { title: "<script>x</script>", summary: "a & b" })] });
    const md = renderStepSummary({ manifest: m, manifestPath: "m", exitCode: 0 });
    expect(md).toContain("| 1 | &lt;script&gt;x&lt;/script&gt; |");
    expect(md).toContain("| a &amp; b |");
  });

  test("slowest stages: by duration, at most five, with their share of the run; none for a one-stage run", () => {
    const at = (s: number) => new Date(Date.parse("2025-11-04T02:45:12.345Z") + s * 1000).toISOString();
    const durations = [5, 40, 1, 20, 2, 60];
    const commands = durations.map((d, i) => entry(i + 1, { title: `s${i + 1}`, started_at: at(0), completed_at: at(d) }));
    commands.push(entry(7, { title: "never ran", status: "pending", started_at: null, completed_at: null }));
    const m = manifest({ started_at: at(0), completed_at: at(127), commands });
    const lines = slowestStages(m);
    expect(lines.slice(0, 4)).toEqual(["#### Slowest stages", "", "| # | Stage | Duration | Share of the run | Status |", "|---|---|---|---|---|"]);
    expect(lines.slice(4)).toEqual([
      "| 6 | s6 | 1 m 00 s | █████ 47% | ✅ succeeded |",
      "| 2 | s2 | 40.0 s | ███ 31% | ✅ succeeded |",
      "| 4 | s4 | 20.0 s | ██ 16% | ✅ succeeded |",
      "| 1 | s1 | 5.0 s | █ 4% | ✅ succeeded |",
      "| 5 | s5 | 2.0 s | █ 2% | ✅ succeeded |",
    ]);
    expect(slowestStages(manifest({ commands: [entry(1, {})] }))).toEqual([]);
    expect(renderStepSummary({ manifest: m, manifestPath: "m", exitCode: 0 })).toContain("#### Slowest stages");
  });

  test("the report line: its path, and the run's artifacts page only when GitHub names a well-formed one", () => {
    expect(reportLine("/w/.runs/r/report.html", {})).toBe("Report: `/w/.runs/r/report.html`");
    const env = { GITHUB_SERVER_URL: "https://github.com", GITHUB_REPOSITORY: "o/r", GITHUB_RUN_ID: "7" };
    expect(reportLine("/w/report.html", env)).toBe(
      "Report: `/w/report.html` — [open it from the run's artifacts](https://github.com/o/r/actions/runs/7#artifacts) (upload `.runs/` with `actions/upload-artifact`)",
    );
    expect(reportLine("/w/report.html", { ...env, GITHUB_REPOSITORY: "o/r) [x](javascript:1" })).toBe("Report: `/w/report.html`");
    const md = renderStepSummary({ manifest: manifest(), manifestPath: "m", exitCode: 1, reportPath: "/w/report.html" }, env);
    expect(md).toContain("\n\nReport: `/w/report.html` — [open it");
  });
});
