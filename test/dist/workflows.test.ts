/** The GitHub workflows parse and wire the pieces the release depends on. */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers/cli.ts";

type Step = { uses?: string; run?: string; shell?: string; with?: Record<string, unknown> };
type Workflow = { name: string; on: unknown; jobs: Record<string, { "runs-on": string; steps: Step[] }> };

function load(name: string): Workflow {
  return Bun.YAML.parse(readFileSync(join(REPO_ROOT, ".github/workflows", name), "utf8")) as Workflow;
}

function runs(workflow: Workflow): string {
  return Object.values(workflow.jobs)
    .flatMap((job) => job.steps.map((s) => s.run ?? ""))
    .join("\n");
}

test("every job has runs-on and steps; every step is either run or uses", () => {
  for (const file of ["ci.yml", "release.yml"]) {
    const workflow = load(file);
    expect(workflow.name.length).toBeGreaterThan(0);
    expect(workflow.on).toBeDefined();
    for (const job of Object.values(workflow.jobs)) {
      expect(typeof job["runs-on"]).toBe("string");
      expect(job.steps.length).toBeGreaterThan(0);
      for (const step of job.steps) expect(step.run === undefined).not.toBe(step.uses === undefined);
    }
  }
});

test("ci runs the project's .ci/run", () => {
  expect(runs(load("ci.yml"))).toContain("bash .ci/run");
});

test("release builds every platform, verifies SHA256SUMS and uploads the assets with install.sh", () => {
  const text = runs(load("release.yml"));
  expect(text).toContain("npm run build:all");
  expect(text).toContain("sha256sum -c SHA256SUMS");
  expect(text).toContain("scripts/pack-npm.ts");
  expect(text).toMatch(/gh release create .*\n?.*dist\/release\/SHA256SUMS install\.sh/);
});
