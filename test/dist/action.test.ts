/**
 * `action.yml`: checked against the action metadata rules, then its steps run locally (see action-runner.ts) against
 * a release directory served from 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers/cli.ts";
import { loadAction, runAction } from "./action-runner.ts";
import { TEST_VERSION, bigScratch, hostPlatform, hostRelease, type Server, serveStatic } from "./fixture.ts";

const INPUTS = ["version", "command", "args", "task", "pipeline", "only", "stage-cache", "stage-cache-key", "working-directory", "otel-endpoint", "notify", "download-url"];
const OUTPUTS = ["run-id", "status", "exit-code", "manifest"];

describe("action.yml metadata", () => {
  const action = loadAction();

  test("has the required keys and a composite runs section", () => {
    expect(typeof action.name).toBe("string");
    expect(action.name.length).toBeGreaterThan(0);
    expect(typeof action.description).toBe("string");
    expect(action.description.length).toBeLessThanOrEqual(125); // the Marketplace limit
    expect(action.runs.using).toBe("composite");
    expect(Array.isArray(action.runs.steps)).toBe(true);
    expect(Object.keys(action).every((k) => ["name", "description", "author", "inputs", "outputs", "runs", "branding"].includes(k))).toBe(true);
  });

  test("declares exactly the documented inputs and outputs, with valid ids and descriptions", () => {
    expect(Object.keys(action.inputs)).toEqual(INPUTS);
    expect(Object.keys(action.outputs)).toEqual(OUTPUTS);
    const id = /^[A-Za-z_][A-Za-z0-9_-]*$/;
    for (const [name, input] of Object.entries(action.inputs)) {
      expect(name).toMatch(id);
      expect(input.description?.length ?? 0).toBeGreaterThan(0);
      expect(Object.keys(input).every((k) => ["description", "required", "default", "deprecationMessage"].includes(k))).toBe(true);
      expect(input.required === true && input.default === undefined).toBe(false);
    }
    for (const [name, output] of Object.entries(action.outputs)) {
      expect(name).toMatch(id);
      expect(output.description?.length ?? 0).toBeGreaterThan(0);
      // Composite outputs must say where the value comes from.
      expect(output.value).toMatch(/^\$\{\{ steps\.run\.outputs\.[a-z-]+ \}\}$/);
    }
  });

  test("every run step names its shell, uses steps do not, ids are unique, references resolve", () => {
    const ids = new Set<string>();
    const text = readFileSync(join(REPO_ROOT, "action.yml"), "utf8");
    for (const step of action.runs.steps) {
      expect(step.run === undefined).not.toBe(step.uses === undefined); // exactly one of run / uses
      if (step.run !== undefined) expect(["bash", "sh", "pwsh", "python"]).toContain(step.shell ?? "(none)");
      else expect(step.shell).toBeUndefined();
      if (step.uses !== undefined) expect(step.uses).toMatch(/^[\w.-]+\/[\w.-]+@v\d+$/);
      if (step.id !== undefined) {
        expect(ids.has(step.id)).toBe(false);
        ids.add(step.id);
      }
      // Inputs reach scripts through env, never spliced into the script text.
      expect(step.run ?? "").not.toContain("${{");
    }
    for (const [, name] of text.matchAll(/\binputs\.([\w-]+)/g)) expect(INPUTS).toContain(name!);
    for (const [, name] of text.matchAll(/\bsteps\.([\w-]+)\.outputs/g)) expect(ids.has(name!)).toBe(true);
  });
});

describe("action.yml steps, run locally", () => {
  let server: Server;
  beforeAll(async () => {
    const rel = await hostRelease();
    server = serveStatic({ [`/v${TEST_VERSION}`]: rel.dir });
  }, 300_000);
  afterAll(() => server?.stop());

  test("downloads, verifies and installs the pinned release into the tool cache, then runs it", async () => {
    const workspace = bigScratch("co-action-");
    mkdirSync(join(workspace, "repo"));
    const result = await runAction({
      workspace,
      inputs: {
        version: TEST_VERSION,
        "download-url": server.url,
        command: "start",
        pipeline: "no-such-pipeline",
        task: "t1",
        "working-directory": "repo",
      },
      usesOutputs: { cache: { "cache-hit": "false" } },
    });
    const [resolve, cache, install, path, stageCache, runStep] = result.steps;
    expect(stageCache).toMatchObject({ id: "stage-cache", skipped: true }); // only with stage-cache: true
    expect(resolve).toMatchObject({ id: "resolve", code: 0 });
    const dir = join(workspace, ".tool-cache/codex-orchestrator", TEST_VERSION, hostPlatform());
    expect(cache?.with).toEqual({ path: dir, key: `codex-orchestrator-${TEST_VERSION}-${hostPlatform()}` });
    expect(install).toMatchObject({ id: "install", skipped: false, code: 0 });
    expect(install?.stdout).toContain(`Installed codex-orchestrator ${TEST_VERSION} (${hostPlatform()}) to ${dir}/codex-orchestrator`);
    expect(server.requests).toEqual([`/v${TEST_VERSION}/SHA256SUMS`, `/v${TEST_VERSION}/codex-orchestrator-${hostPlatform()}.tar.gz`]);
    expect(path?.code).toBe(0);
    expect(result.path).toEqual([dir]);
    // The run step ran the installed binary; an unknown pipeline fails, and exit-code reports it either way.
    expect(runStep?.id).toBe("run");
    expect(runStep?.code).not.toBe(0);
    expect(result.outputs["exit-code"]).toBe(String(runStep?.code));
  }, 300_000);

  test("a cache hit skips the download", async () => {
    const workspace = bigScratch("co-action-");
    const result = await runAction({
      workspace,
      inputs: { version: TEST_VERSION, "download-url": "http://127.0.0.1:9/unreachable" },
      usesOutputs: { cache: { "cache-hit": "true" } },
      only: ["resolve", "cache", "install"],
    });
    expect(result.steps.map((s) => [s.id, s.skipped])).toEqual([
      ["resolve", false],
      ["cache", false],
      ["install", true],
    ]);
  });

  test("the version defaults to the action's tag; a branch ref asks for the version input", async () => {
    const tagged = await runAction({
      workspace: bigScratch("co-action-"),
      inputs: {},
      github: { action_ref: `v${TEST_VERSION}`, action_repository: "acme/codex-orchestrator" },
      only: ["resolve"],
    });
    expect(tagged.steps[0]).toMatchObject({ code: 0, stderr: "" });
    expect(tagged.steps[0]?.outputs).toMatchObject({
      version: TEST_VERSION,
      platform: hostPlatform(),
      url: "https://github.com/acme/codex-orchestrator/releases/download",
    });
    const branch = await runAction({ workspace: bigScratch("co-action-"), inputs: {}, github: { action_ref: "main" }, only: ["resolve"] });
    expect(branch.steps[0]).toMatchObject({ code: 2 });
    expect(branch.steps[0]?.stdout).toBe(
      "::error title=codex-orchestrator::Set the version input to a release such as 0.2.0 (the action ref 'main' is not a version).\n",
    );
  });
});

describe("action.yml run step", () => {
  /** A stand-in binary that prints its argv one per line and reports a run id, to check how inputs become argv. */
  function stubDir(body = 'echo "run-id=stub-run" >> "$GITHUB_OUTPUT"; exit 3'): string {
    const dir = bigScratch("co-action-bin-");
    const file = join(dir, "codex-orchestrator");
    writeFileSync(file, `#!/bin/bash\nfor a in "$@"; do printf '<%s>\\n' "$a"; done\n${body}\n`);
    chmodSync(file, 0o755);
    return dir;
  }

  function runStep(inputs: Record<string, string>, bin = stubDir()) {
    const workspace = bigScratch("co-action-");
    return runAction({ workspace, inputs, only: ["run"], presetSteps: { resolve: { outputs: { dir: bin } } } });
  }

  test("exec: options from the inputs, then the args lines verbatim; exit-code filled in when the CLI wrote none", async () => {
    const result = await runStep({
      command: "exec",
      task: "t9",
      "otel-endpoint": "http://127.0.0.1:4318",
      notify: " https://hooks.test/a , cmd:echo hi\nhttps://hooks.test/b\n",
      args: "--timeout=5\n--\nsh\n-c\necho 'a b' $X\r\n",
    });
    const step = result.steps[0]!;
    expect(step.code).toBe(3);
    expect(step.stdout).toBe(
      [
        "exec",
        "--task", "t9",
        "--otel-endpoint", "http://127.0.0.1:4318",
        "--notify", "https://hooks.test/a",
        "--notify", "cmd:echo hi",
        "--notify", "https://hooks.test/b",
        "--timeout=5", "--", "sh", "-c", "echo 'a b' $X",
      ].map((a) => `<${a}>\n`).join(""),
    );
    expect(result.outputs).toEqual({ "run-id": "stub-run", status: "", "exit-code": "3", manifest: "" });
  });

  test("start: the pipeline comes first; outputs written by the CLI are kept", async () => {
    const bin = stubDir('printf "run-id=r1\\nstatus=succeeded\\nexit-code=0\\nmanifest=/m.json\\n" >> "$GITHUB_OUTPUT"');
    const result = await runStep({ command: "start", pipeline: "diagnostics", task: "" }, bin);
    expect(result.steps[0]).toMatchObject({ code: 0, stdout: "<start>\n<diagnostics>\n" });
    expect(result.outputs).toEqual({ "run-id": "r1", status: "succeeded", "exit-code": "0", manifest: "/m.json" });
  });

  test("start --only with the stage cache: the store is the runner's temp dir that actions/cache restores (issue 18)", async () => {
    const bin = stubDir('echo "cache=$CODEX_ORCHESTRATOR_CACHE_DIR"');
    const workspace = bigScratch("co-action-");
    const result = await runAction({
      workspace,
      inputs: { command: "start", pipeline: "ci", only: "build,test", "stage-cache": "true" },
      only: ["stage-cache", "run"],
      presetSteps: { resolve: { outputs: { dir: bin } } },
    });
    const [cacheStep, run] = result.steps;
    const store = join(workspace, ".runner-temp/codex-orchestrator-stage-cache");
    expect(cacheStep?.with).toEqual({
      path: store,
      key: "codex-orchestrator-stages-Linux-v1-ci-build,test--",
      "restore-keys": "codex-orchestrator-stages-Linux-v1-ci-build,test-\ncodex-orchestrator-stages-Linux-v1-\n",
    });
    expect(run).toMatchObject({ code: 0, stdout: `<start>\n<ci>\n<--only>\n<build,test>\ncache=${store}\n` });
  });

  test("merge: the run directories from the args lines", async () => {
    const result = await runStep({ command: "merge", args: "jobs/a/.runs/t1/cli/r1\njobs/b/.runs/t1/cli/r2\n" });
    expect(result.steps[0]).toMatchObject({ code: 3, stdout: "<merge>\n<jobs/a/.runs/t1/cli/r1>\n<jobs/b/.runs/t1/cli/r2>\n" });
    const empty = await runStep({ command: "merge" });
    expect(empty.steps[0]?.stdout).toBe("::error title=codex-orchestrator::command merge needs the run directories in the args input, one per line.\n");
  });

  test("a bad command input, or exec without a command, fails with an annotation and exit-code 2", async () => {
    const bad = await runStep({ command: "deploy" });
    expect(bad.steps[0]).toMatchObject({
      code: 2,
      stdout: "::error title=codex-orchestrator::The command input must be exec, start or merge (got 'deploy').\n",
    });
    expect(bad.outputs["exit-code"]).toBe("2");
    const empty = await runStep({ command: "exec", args: "\n\n" });
    expect(empty.steps[0]).toMatchObject({
      code: 2,
      stdout: "::error title=codex-orchestrator::command exec needs the command to run in the args input.\n",
    });
  });
});
