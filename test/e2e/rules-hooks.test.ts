// Command rules and preExec/postExec hooks (issue 19) through the compiled CLI: `exec` and pipeline stages, from
// the repository config and the user-global one, with the refusals and decisions recorded in `toolRuns[]`.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, scratchDir } from "../helpers/cli.ts";
import { readValidManifest } from "../helpers/runs.ts";

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON under test is walked freely
type Json = Record<string, any>;

function setup(config: Json, userConfig?: Json): { w: string; env: Record<string, string>; root: string } {
  const root = scratchDir("co-e2e-rules-");
  const w = join(root, "ws");
  mkdirSync(w);
  writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify(config));
  const env = { XDG_STATE_HOME: join(root, "state"), XDG_CONFIG_HOME: join(root, "config"), HOME: root };
  if (userConfig !== undefined) {
    mkdirSync(join(root, "config", "codex-orchestrator"), { recursive: true });
    writeFileSync(join(root, "config", "codex-orchestrator", "config.json"), JSON.stringify(userConfig));
  }
  return { w, env, root };
}

async function exec(w: string, env: Record<string, string>, argv: string[], extra: string[] = []) {
  const r = await runCli(["exec", "--json", "compact", ...extra, "--", ...argv], { cwd: w, env });
  const summary = JSON.parse(r.stdout) as Json;
  const manifest = readValidManifest(join(w, summary.payload.run.manifest)) as Json;
  return { ...r, summary, manifest, toolRun: manifest.toolRuns[0] as Json };
}

describe("rules", () => {
  const rules = [
    { match: ["git"], decision: "allow" },
    { match: ["git", "push"], decision: "forbidden", justification: "agents do not push" },
    { match: "touch published", decision: "prompt", justification: "publishing is for people" },
  ];

  test("forbidden refuses with the justification, before anything runs, recorded as approvalSource rule", async () => {
    const { w, env } = setup({ rules });
    const r = await exec(w, env, ["sh", "-c", "touch ran && git push origin main"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Forbidden by rule 'git push' (${join(w, "codex.orchestrator.json")}#/rules/1): agents do not push`);
    expect(existsSync(join(w, "ran"))).toBe(false);
    expect(r.manifest.status).toBe("failed");
    expect(r.toolRun).toMatchObject({ approvalSource: "rule", attemptCount: 0, retryCount: 0, status: "failed", refusal: { by: "rule" } });
    expect(r.toolRun.metadata.rule).toMatchObject({ match: ["git", "push"], decision: "forbidden", command: ["git", "push", "origin", "main"] });
  });

  test("allow lets a command run without asking even under untrusted; no match keeps the policy", async () => {
    const { w, env } = setup({ rules });
    const allowed = await exec(w, env, ["git", "--version"], ["--approval-policy", "untrusted"]);
    expect(allowed.code).toBe(0);
    expect(allowed.toolRun).toMatchObject({ approvalSource: "rule", attemptCount: 1, status: "succeeded" });
    const other = await exec(w, env, ["true"], ["--approval-policy", "untrusted"]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain("no approval prompter is available");
  });

  test("prompt asks for approval: refused with the grant command without a prompter, then runs from the cache", async () => {
    const { w, env } = setup({ rules });
    const first = await exec(w, env, ["touch", "published"]);
    expect(first.code).toBe(1);
    const key = /approvals grant ([0-9a-f]{16})/.exec(first.stderr)?.[1] as string;
    expect(key).toBeDefined();
    expect(existsSync(join(w, "published"))).toBe(false);
    expect((await runCli(["approvals", "grant", key], { cwd: w, env })).code).toBe(0);
    const second = await exec(w, env, ["touch", "published"]);
    expect(second.code).toBe(0);
    expect(second.toolRun.approvalSource).toBe("cache");
    expect(second.toolRun.metadata.rule).toMatchObject({ decision: "prompt" });
  });

  test("a pipeline stage's shell line is split like a shell; user-global rules apply too", async () => {
    const { w, env } = setup(
      { pipelines: [{ id: "p", title: "P", stages: [{ kind: "command", id: "s", title: "S", command: "echo a | tee x; rm -rf build" }] }] },
      { rules: [{ match: ["rm", "-rf"], decision: "forbidden" }] },
    );
    const r = await runCli(["start", "p", "--format", "json"], { cwd: w, env });
    expect(r.code).toBe(1);
    const m = readValidManifest(join(w, JSON.parse(r.stdout).manifest)) as Json;
    expect(m.toolRuns[0]).toMatchObject({ approvalSource: "rule", attemptCount: 0, refusal: { by: "rule" } });
    expect(m.toolRuns[0].metadata.rule.source).toBe(`${join(env.XDG_CONFIG_HOME as string, "codex-orchestrator", "config.json")}#/rules/0`);
    expect(existsSync(join(w, "x"))).toBe(false);
  });

  test("a broken rule is a config error naming the file and the JSON pointer", async () => {
    const { w, env } = setup({ rules: [{ match: ["git"], decision: "maybe" }] });
    const r = await runCli(["exec", "--", "true"], { cwd: w, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`Invalid config ${join(w, "codex.orchestrator.json")}: /rules/0/decision: expected "allow", "prompt" or "forbidden"\n`);
  });
});

describe("hooks", () => {
  const hook = (script: string, timeout?: number) => ({ command: script, ...(timeout === undefined ? {} : { timeout }) });

  test("preExec receives the command as JSON and its allow is recorded as approvalSource hook", async () => {
    const { w, env } = setup({ hooks: { preExec: [hook(`cat > pre.json; echo '{"decision":"allow","reason":"looks fine"}'`)] } });
    const r = await exec(w, env, ["sh", "-c", "echo hi"], ["--sandbox", "danger-full-access"]);
    expect(r.code).toBe(0);
    const input = JSON.parse(readFileSync(join(w, "pre.json"), "utf8"));
    expect(input).toMatchObject({ argv: ["sh", "-c", "echo hi"], cwd: w, sandbox: "danger-full-access", runId: r.summary.payload.run.id, origin: "exec" });
    expect(r.toolRun.approvalSource).toBe("hook");
    expect(r.toolRun.metadata.hooks).toEqual([
      expect.objectContaining({ event: "preExec", decision: "allow", reason: "looks fine", failure: null, exitCode: 0 }),
    ]);
  });

  test.each([
    ["a JSON deny", `echo '{"decision":"deny","reason":"not today"}'`, "Denied by preExec hook", "not today"],
    ["exit 2", "echo 'blocked by policy' >&2; exit 2", "Denied by preExec hook", "blocked by policy"],
    ["a crash", "exit 3", "failed (exited with code 3)", "the command was not run"],
    ["a bad answer", "echo yes", "failed (answered something that is not JSON: yes)", "the command was not run"],
  ])("preExec %s denies: nothing runs, approvalSource hook", async (_name, script, first, second) => {
    const { w, env } = setup({ hooks: { preExec: [hook(script)] } });
    const r = await exec(w, env, ["touch", "ran"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(first);
    expect(r.stderr).toContain(second);
    expect(existsSync(join(w, "ran"))).toBe(false);
    expect(r.toolRun).toMatchObject({ approvalSource: "hook", attemptCount: 0, status: "failed", refusal: { by: "hook" } });
  });

  test("a preExec hook that outlives its timeout denies (fail closed)", async () => {
    const { w, env } = setup({ hooks: { preExec: [hook("(sleep 30; touch late) & sleep 30", 0.3)] } });
    const r = await exec(w, env, ["touch", "ran"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("failed (timed out after 0.3s)");
    expect(existsSync(join(w, "ran"))).toBe(false);
    expect(r.toolRun.metadata.hooks[0]).toMatchObject({ decision: "deny", failure: "timed out after 0.3s" });
  });

  test("preExec ask needs approval: refused with the grant command where nobody can be asked", async () => {
    const { w, env } = setup({ hooks: { preExec: [hook(`echo '{"decision":"ask","reason":"check it"}'`)] } });
    const r = await exec(w, env, ["touch", "ran"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/codex-orchestrator approvals grant [0-9a-f]{16}/);
    expect(existsSync(join(w, "ran"))).toBe(false);
  });

  test("postExec gets the result; a failing postExec fails the run although the command exited 0", async () => {
    const { w, env } = setup({ hooks: { postExec: [hook("cat > post.json")] } });
    const ok = await exec(w, env, ["sh", "-c", "echo out; exit 0"]);
    expect(ok.code).toBe(0);
    const post = JSON.parse(readFileSync(join(w, "post.json"), "utf8"));
    expect(post.result).toMatchObject({ status: "succeeded", exitCode: 0, stdout: "out\n" });
    expect(post.runId).toBe(ok.summary.payload.run.id);

    const { w: w2, env: env2 } = setup({ hooks: { postExec: [hook("echo audit log unreachable >&2; exit 1")] } });
    const bad = await exec(w2, env2, ["touch", "ran"]);
    expect(existsSync(join(w2, "ran"))).toBe(true);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("postExec hook 'echo audit log unreachable >&2; exit 1' failed (exited with code 1: audit log unreachable)");
    expect(bad.manifest.status).toBe("failed");
    expect(bad.toolRun).toMatchObject({ status: "failed", attemptCount: 1 });
  });

  test("hooks apply to pipeline stages", async () => {
    const { w, env } = setup({
      hooks: { preExec: [hook(`cat >> stages.ndjson; echo '{"decision":"allow"}'`)] },
      pipelines: [{ id: "p", title: "P", stages: [{ kind: "command", id: "one", title: "One", command: "true" }, { kind: "command", id: "two", title: "Two", command: "echo two" }] }],
    });
    const r = await runCli(["start", "p", "--format", "json"], { cwd: w, env });
    expect(r.code).toBe(0);
    const lines = readFileSync(join(w, "stages.ndjson"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.stageId, l.pipelineId, l.origin, l.argv])).toEqual([
      ["one", "p", "stage", ["/bin/sh", "-c", "true"]],
      ["two", "p", "stage", ["/bin/sh", "-c", "echo two"]],
    ]);
  });
});
