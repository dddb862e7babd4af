/**
 * Issue 18, fan-out: `plan --format github-matrix`, `start --only`, and `merge` of the run directories of separate
 * jobs, through the compiled binary. The jobs are separate processes in separate copies of one repository (as the
 * jobs of a matrix are), and the merged manifest is checked against the published JSON Schema.
 */
import { describe, expect, test } from "bun:test";
import { cpSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { GithubMatrix } from "../../src/core/schemas/cache.ts";
import { runCli, scratchDir, spawnCli } from "../helpers/cli.ts";
import { manifestOf, metricsLines, readValidManifest, runDirOf, runIds } from "../helpers/runs.ts";
import { workspace } from "../helpers/workspace.ts";

type Stage = Record<string, unknown>;
const C = (id: string, command: string, extra: Stage = {}): Stage => ({ kind: "command", id, title: id, command, ...extra });

const PIPELINE = {
  pipelines: [
    {
      id: "ci",
      title: "CI",
      stages: [
        C("build", "mkdir -p out && echo bin > out/bin && echo built", { inputs: ["src/*"], outputs: ["out/bin"] }),
        C("lint", "echo linted"),
        C("test", "cat out/bin && echo tested", { needs: ["build"] }),
        C("docs", "echo docs"),
        C("package", "echo packaged", { needs: ["test"] }),
      ],
    },
  ],
};

describe("fan-out over GitHub Actions (issue 18)", () => {
  test("the matrix is valid for strategy.matrix: one line, string values, every stage once, groups closed under needs", async () => {
    const w = workspace(PIPELINE);
    const r = await runCli(["plan", "ci", "--format", "github-matrix"], { cwd: w });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(1); // fits `echo "matrix=$(…)" >> "$GITHUB_OUTPUT"`
    const matrix = JSON.parse(r.stdout);
    expect(v.safeParse(GithubMatrix, matrix).success).toBe(true);
    // strategy.matrix: an object whose `include` is a list of objects of scalar values.
    expect(Object.keys(matrix)).toEqual(["include"]);
    for (const job of matrix.include) for (const value of Object.values(job)) expect(typeof value).toBe("string");
    expect(matrix.include).toEqual([
      { group: "g1", stages: "build,test,package", pipeline: "ci" },
      { group: "g2", stages: "lint", pipeline: "ci" },
      { group: "g3", stages: "docs", pipeline: "ci" },
    ]);
    // A sequential pipeline is one chain: one group.
    const seq = workspace({ pipelines: [{ id: "s", title: "S", stages: [C("a", "true"), C("b", "true")] }] });
    expect(JSON.parse((await runCli(["plan", "s", "--format", "github-matrix"], { cwd: seq })).stdout)).toEqual({
      include: [{ group: "g1", stages: "a,b", pipeline: "s" }],
    });
  });

  test("the groups run as separate processes in separate copies of the repository; merge makes one schema-valid run", async () => {
    const origin = workspace(PIPELINE);
    Bun.spawnSync(["mkdir", "-p", join(origin, "src")]);
    Bun.spawnSync(["sh", "-c", "echo main > src/main.c"], { cwd: origin });
    const matrix = JSON.parse((await runCli(["plan", "ci", "--format", "github-matrix"], { cwd: origin })).stdout);

    // One job per group: its own checkout (a copy), its own process, run at the same time.
    const jobs = matrix.include.map((job: { group: string; stages: string }) => {
      const copy = join(scratchDir("co-job-"), "repo");
      cpSync(origin, copy, { recursive: true });
      const env = { CODEX_ORCHESTRATOR_CACHE_DIR: join(copy, "..", "cache") };
      return { job, copy, run: spawnCli(["start", "ci", "--only", job.stages, "--format", "json"], { cwd: copy, env }) };
    });
    const runDirs: string[] = [];
    for (const { job, copy, run } of jobs) {
      expect(await run.proc.exited).toBe(0);
      const out = JSON.parse(await run.stdout);
      const m = manifestOf(copy, out.run_id);
      expect(m.only).toEqual(job.stages.split(","));
      const selected = new Set(job.stages.split(","));
      for (const c of m.commands) expect(c.status).toBe(selected.has(c.id) ? "succeeded" : "pending");
      runDirs.push(runDirOf(copy, out.run_id));
    }

    // The merge job: the downloaded run directories, merged in a fresh checkout, with the step summary written.
    const merger = join(scratchDir("co-merge-"), "repo");
    cpSync(origin, merger, { recursive: true });
    const summaryFile = join(merger, "..", "step-summary.md");
    const outputFile = join(merger, "..", "output.txt");
    const merged = await runCli(["merge", ...runDirs], {
      cwd: merger,
      env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summaryFile, GITHUB_OUTPUT: outputFile },
    });
    expect(merged.stderr).toBe("");
    expect(merged.code).toBe(0);
    const runId = runIds(merger).at(-1) as string;
    expect(merged.stdout).toContain(`Run merged: ${runId}`);
    const m = readValidManifest(join(runDirOf(merger, runId), "manifest.json"));
    expect(m.status).toBe("succeeded");
    expect(m.pipeline_id).toBe("ci");
    expect(m.commands.map((c) => [c.id, c.status])).toEqual([
      ["build", "succeeded"],
      ["lint", "succeeded"],
      ["test", "succeeded"],
      ["docs", "succeeded"],
      ["package", "succeeded"],
    ]);
    expect(m.merged_from?.map((r) => r.run_id)).toEqual(runDirs.map((d) => d.split("/").at(-1) as string));
    expect(m.only).toBeUndefined();
    // Each stage's log was copied into the merged run, and the timeline has every stage.
    for (const c of m.commands) {
      expect(c.log_path).toStartWith(`.runs/t1/cli/${runId}/commands/`);
      expect(readFileSync(join(merger, c.log_path as string), "utf8")).toContain('"type":"command:end"');
    }
    const timeline = readFileSync(join(runDirOf(merger, runId), "runner.ndjson"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(new Set(timeline.filter((l) => l.type === "command:start").map((l) => l.index))).toEqual(new Set([1, 2, 3, 4, 5]));
    expect(m.toolRuns.map((r) => (r.metadata as { stageId: string }).stageId).sort()).toEqual(["build", "docs", "lint", "package", "test"]);
    // One summary, one metrics line, the step summary of the whole pipeline.
    expect(existsSync(join(runDirOf(merger, runId), "run-summary.json"))).toBe(true);
    const lines = metricsLines(merger);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ run_id: runId, status: "succeeded", commands_passed: 5 });
    const summary = readFileSync(summaryFile, "utf8");
    for (const id of ["build", "lint", "test", "docs", "package"]) expect(summary).toContain(id);
    expect(readFileSync(outputFile, "utf8")).toContain(`run-id=${runId}`);
  });

  test("a failed job fails the merged run with that stage's detail", async () => {
    const w = workspace({ pipelines: [{ id: "p", title: "P", parallel: true, stages: [C("ok", "true"), C("bad", "exit 3")] }] });
    expect((await runCli(["start", "p", "--only", "ok"], { cwd: w })).code).toBe(0);
    const okRun = runIds(w).at(-1) as string;
    expect((await runCli(["start", "p", "--only", "bad"], { cwd: w })).code).toBe(1);
    const badRun = runIds(w).at(-1) as string;
    const r = await runCli(["merge", runDirOf(w, okRun), runDirOf(w, badRun)], { cwd: w });
    expect(r.code).toBe(1);
    const m = manifestOf(w, runIds(w).at(-1) as string);
    expect(m.status).toBe("failed");
    expect(m.status_detail).toBe("stage:bad:failed");
    expect(m.commands.map((c) => c.status)).toEqual(["succeeded", "failed"]);
    expect(m.commands[1]?.error_file).toMatch(/errors\/02-bad\.json$/);
    expect(existsSync(join(w, m.commands[1]?.error_file as string))).toBe(true);
  });

  test("--only pulls in what the stages need; bad --only and merge input are one line, exit 2, nothing written", async () => {
    const w = workspace(PIPELINE);
    Bun.spawnSync(["mkdir", "-p", join(w, "src")]);
    const env = { CODEX_ORCHESTRATOR_CACHE_DIR: join(scratchDir("co-cache-"), "store") };
    const r = await runCli(["start", "ci", "--only", "package"], { cwd: w, env });
    expect(r.code).toBe(0);
    const m = manifestOf(w, runIds(w).at(-1) as string);
    expect(m.commands.map((c) => [c.id, c.status])).toEqual([
      ["build", "succeeded"],
      ["lint", "pending"],
      ["test", "succeeded"],
      ["docs", "pending"],
      ["package", "succeeded"],
    ]);
    expect(m.only).toEqual(["build", "test", "package"]);

    const before = runIds(w).length;
    const unknown = await runCli(["start", "ci", "--only", "build,nope"], { cwd: w, env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe("Unknown stage 'nope' in --only (pipeline 'ci' has: build, lint, test, docs, package).");
    expect(runIds(w)).toHaveLength(before);

    const other = workspace({ pipelines: [{ id: "x", title: "X", stages: [C("a", "true")] }] });
    expect((await runCli(["start", "x"], { cwd: other })).code).toBe(0);
    const mixed = await runCli(["merge", runDirOf(w, runIds(w)[0] as string), runDirOf(other, runIds(other)[0] as string)], { cwd: w });
    expect(mixed.code).toBe(2);
    expect(mixed.stderr.trim().split("\n")).toHaveLength(1);
    expect(mixed.stderr).toContain("is of pipeline 'x'");
    expect(runIds(w)).toHaveLength(before);
    const missing = await runCli(["merge", join(w, "nowhere")], { cwd: w });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("Cannot merge");
  });
});
