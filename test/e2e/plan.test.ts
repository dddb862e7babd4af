import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { runCli, scratchDir } from "../helpers/cli.ts";
import { specWorkspace } from "../pipeline/fixture.ts";

const listing = (dir: string) => readdirSync(dir).sort();

describe("plan (SPEC §5.2, checks 2–6)", () => {
  test("check 3: text form of a config pipeline; nothing written", async () => {
    const w = specWorkspace();
    const before = listing(w);
    const r = await runCli(["plan", "simple"], { cwd: w });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "Pipeline: simple — Simple pipeline [user]\nStages:\n  1. [command] emit ok (echo-ok)\n     command: echo ok; echo warn 1>&2\n",
    );
    expect(listing(w)).toEqual(before);
  });

  test("check 4: built-in diagnostics as JSON without a config", async () => {
    const w2 = scratchDir();
    const r = await runCli(["plan", "--format", "json"], { cwd: w2 });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.pipeline).toEqual({ id: "diagnostics", title: "Diagnostics Pipeline", description: "Build, lint, test, and spec-guard the repository.", source: "default" });
    expect(doc.stages).toHaveLength(4);
    expect(doc.stages[3].command).toBe("codex-orchestrator spec-guard --dry-run");
    expect(doc.plan.items[0]).toEqual({ id: "diagnostics:build", description: "npm run build", requires_cloud: false });
    expect(doc.plan.notes).toBe("Build, lint, test, and spec-guard the repository.");
    expect(r.stdout).toBe(`${JSON.stringify(doc, null, 2)}\n`);
    expect(listing(w2)).toEqual([]);
  });

  test("check 2: --format=json ≡ --format json; bad format and unknown option exit 2", async () => {
    const w = specWorkspace();
    const a = await runCli(["plan", "--format=json"], { cwd: w });
    const b = await runCli(["plan", "--format", "json"], { cwd: w });
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(JSON.parse(a.stdout).pipeline.id).toBe("simple");
    const xml = await runCli(["plan", "--format", "xml"], { cwd: w });
    expect([xml.code, xml.stderr]).toEqual([2, "Invalid value for --format: xml (expected json, text or github-matrix).\n"]);
    const bogus = await runCli(["plan", "--bogus"], { cwd: w });
    expect([bogus.code, bogus.stderr]).toEqual([2, "Unknown plan option: --bogus\n"]);
    const extra = await runCli(["plan", "a", "b"], { cwd: w });
    expect([extra.code, extra.stderr]).toEqual([2, "Unexpected argument: b\n"]);
  });

  test("check 5: unknown pipeline exits 2; an empty pipeline plans as (none)", async () => {
    const w = specWorkspace();
    const before = listing(w);
    const nope = await runCli(["plan", "nope"], { cwd: w });
    expect([nope.code, nope.stderr, nope.stdout]).toEqual([2, "Pipeline 'nope' not found.\n", ""]);
    const empty = await runCli(["plan", "empty"], { cwd: w });
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe("Pipeline: empty — Empty [user]\nStages:\n  (none)\n");
    expect(listing(w)).toEqual(before);
  });

  test("check 6 and the config-error table: one stderr line naming the file and pointer, exit 2", async () => {
    const bad = specWorkspace({ pipelines: [{ id: "x", title: "X", stages: [{ kind: "command", id: "a", title: "A" }] }] });
    const path = join(bad, "codex.orchestrator.json");
    const r = await runCli(["plan", "x"], { cwd: bad });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`Invalid config ${path}: /pipelines/0/stages/0/command: is required (expected a non-empty string)\n`);
    const notJson = specWorkspace("{ this is not json");
    const j = await runCli(["plan"], { cwd: notJson });
    expect(j.code).toBe(2);
    expect(j.stderr).toBe(`Invalid config ${join(notJson, "codex.orchestrator.json")}: invalid JSON: Expected a property name in double quotes at line 1, column 3\n`);
    const missingDefault = specWorkspace({ defaultPipeline: "ghost" });
    const d = await runCli(["plan", "diagnostics"], { cwd: missingDefault });
    expect(d.code).toBe(2);
    expect(d.stderr).toContain("/defaultPipeline: pipeline \"ghost\" is not defined");
  });

  test("--task is validated; CODEX_ORCHESTRATOR_ROOT locates the config", async () => {
    const w = specWorkspace();
    const bad = await runCli(["plan", "--task", "a..b"], { cwd: w });
    expect([bad.code, bad.stderr]).toEqual([2, `Invalid task ID "a..b" from --task: must not contain '..'.\n`]);
    const elsewhere = scratchDir();
    const r = await runCli(["plan", "--format", "json"], { cwd: elsewhere, env: { CODEX_ORCHESTRATOR_ROOT: w } });
    expect(JSON.parse(r.stdout).pipeline.id).toBe("simple");
    expect(listing(elsewhere)).toEqual([]);
  });
});
