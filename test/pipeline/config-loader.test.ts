import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../../src/core/errors.ts";
import { loadConfig, parseConfigText } from "../../src/pipeline/config-loader.ts";
import { scratchDir } from "../helpers/cli.ts";

const P = "/abs/codex.orchestrator.json";

function problem(config: unknown): string {
  const text = typeof config === "string" ? config : JSON.stringify(config);
  try {
    parseConfigText(text, P);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    return (error as Error).message;
  }
  throw new Error("expected the config to be rejected");
}

const cmd = (id: string, extra: Record<string, unknown> = {}) => ({ kind: "command", id, title: id, command: "true", ...extra });
const sub = (id: string, pipeline: string) => ({ kind: "subpipeline", id, title: id, pipeline });
const one = (stages: unknown[], extra: Record<string, unknown> = {}) => ({ pipelines: [{ id: "x", title: "X", stages, ...extra }] });

describe("config error table", () => {
  const cases: [string, unknown, string][] = [
    ["missing command (SPEC check 6)", { pipelines: [{ id: "x", title: "X", stages: [{ kind: "command", id: "a", title: "A" }] }] },
      `Invalid config ${P}: /pipelines/0/stages/0/command: is required (expected a non-empty string)`],
    ["empty command", one([cmd("a", { command: "" })]), `Invalid config ${P}: /pipelines/0/stages/0/command: expected a non-empty string`],
    ["command of wrong type", one([cmd("a", { command: 5 })]), `Invalid config ${P}: /pipelines/0/stages/0/command: expected a non-empty string`],
    ["pipelines not an array", { pipelines: {} }, `Invalid config ${P}: /pipelines: expected an array`],
    ["root not an object", [], `Invalid config ${P}: (root): expected an object`],
    ["empty pipeline id", { pipelines: [{ id: "", title: "X", stages: [] }] }, `Invalid config ${P}: /pipelines/0/id: expected a non-empty string`],
    ["missing stages", { pipelines: [{ id: "x", title: "X" }] }, `Invalid config ${P}: /pipelines/0/stages: is required (expected an array)`],
    ["missing title", { pipelines: [{ id: "x", stages: [] }] }, `Invalid config ${P}: /pipelines/0/title: is required (expected a string)`],
    ["unknown stage kind", one([{ kind: "shell", id: "a", title: "A" }]),
      `Invalid config ${P}: /pipelines/0/stages/0/kind: unknown stage kind "shell" (expected "command" or "subpipeline")`],
    ["missing stage kind", one([{ id: "a", title: "A" }]),
      `Invalid config ${P}: /pipelines/0/stages/0/kind: is required (expected "command" or "subpipeline")`],
    ["env value not a string", one([cmd("a", { env: { A: 1 } })]), `Invalid config ${P}: /pipelines/0/stages/0/env/A: expected a string`],
    ["allowFailure not a boolean", one([cmd("a", { allowFailure: "yes" })]), `Invalid config ${P}: /pipelines/0/stages/0/allowFailure: expected a boolean`],
    ["session.persist not a boolean", one([cmd("a", { session: { id: "s", persist: 1 } })]),
      `Invalid config ${P}: /pipelines/0/stages/0/session/persist: expected a boolean`],
    ["subpipeline without pipeline", one([{ kind: "subpipeline", id: "a", title: "A" }]),
      `Invalid config ${P}: /pipelines/0/stages/0/pipeline: is required (expected a non-empty string)`],
    ["bad timeout", one([cmd("a", { timeout: 0 })]), `Invalid config ${P}: /pipelines/0/stages/0/timeout: expected a positive number of seconds`],
    ["bad sandbox", one([cmd("a", { sandbox: "open" })]),
      `Invalid config ${P}: /pipelines/0/stages/0/sandbox: expected "read-only", "workspace-write", "danger-full-access" or {"mode": <mode>, "network": true|false}`],
    ["bad sandbox network", one([cmd("a", { sandbox: { mode: "read-only", network: "yes" } })]),
      `Invalid config ${P}: /pipelines/0/stages/0/sandbox: expected "read-only", "workspace-write", "danger-full-access" or {"mode": <mode>, "network": true|false}`],
    ["bad sandboxBackend", { sandboxBackend: "docker" }, `Invalid config ${P}: /sandboxBackend: expected "auto", "landlock", "bwrap" or "seatbelt"`],
    ["bad sandboxFallback", { sandboxFallback: "warn" }, `Invalid config ${P}: /sandboxFallback: expected "fail" or "unsandboxed"`],
    ["bad approvalPolicy", { approvalPolicy: "sometimes" },
      `Invalid config ${P}: /approvalPolicy: expected "untrusted", "on-failure", "on-request" or "never"`],
    ["bad notification target", { notifications: ["ftp://x"] },
      `Invalid config ${P}: /notifications/0: invalid notification target "ftp://x" (expected http://…, https://… or cmd:<program>)`],
    ["empty defaultPipeline", { defaultPipeline: "" }, `Invalid config ${P}: /defaultPipeline: expected a non-empty string`],
    ["duplicate stage ids", one([cmd("a"), cmd("b"), cmd("a")]),
      `Invalid config ${P}: /pipelines/0/stages/2/id: duplicate stage id "a" (first used at /pipelines/0/stages/0/id)`],
    ["sub-pipeline cycle", { pipelines: [{ id: "a", title: "A", stages: [sub("s", "b")] }, { id: "b", title: "B", stages: [cmd("c"), sub("t", "a")] }] },
      `Invalid config ${P}: /pipelines/1/stages/1/pipeline: sub-pipeline cycle a → b → a`],
    ["self cycle", one([sub("s", "x")]), `Invalid config ${P}: /pipelines/0/stages/0/pipeline: sub-pipeline cycle x → x`],
    ["missing defaultPipeline", { defaultPipeline: "ghost", pipelines: [] },
      `Invalid config ${P}: /defaultPipeline: pipeline "ghost" is not defined (expected the id of a pipeline in /pipelines or "diagnostics")`],
    ["key with slash escaped in pointer", one([cmd("a", { env: { "a/b~": 2 } })]), `Invalid config ${P}: /pipelines/0/stages/0/env/a~1b~0: expected a string`],
    ["invalid JSON", '{"pipelines": [\n  {"id": "x",}\n]}', `Invalid config ${P}: invalid JSON: Expected a property name in double quotes at line 2, column 14`],
    ["empty file", "", `Invalid config ${P}: invalid JSON: Unexpected end of input at line 1, column 1`],
    ["trailing garbage", "{} x", `Invalid config ${P}: invalid JSON: Unexpected non-whitespace character after JSON at line 1, column 4`],
  ];
  for (const [name, config, message] of cases) {
    test(name, () => expect(problem(config)).toBe(message));
  }
});

describe("accepted configs", () => {
  test("unknown keys are ignored and defaults filled", () => {
    const config = parseConfigText(JSON.stringify({ extra: 1, pipelines: [{ id: "x", title: "X", stages: [cmd("a", { foo: 2 }), { ...sub("b", "nope"), bar: 1 }] }] }), P);
    const [a, b] = config.pipelines?.[0]?.stages ?? [];
    expect(a).toMatchObject({ kind: "command", allowFailure: false });
    expect(b).toMatchObject({ kind: "subpipeline", pipeline: "nope", optional: false });
  });
  test("a sub-pipeline naming a missing pipeline is left to run time; diagnostics is a valid default", () => {
    expect(() => parseConfigText(JSON.stringify({ defaultPipeline: "diagnostics", ...one([sub("s", "nope")]) }), P)).not.toThrow();
  });
  test("duplicate pipeline ids: the first wins and the shadowed one forms no cycle", () => {
    const config = { pipelines: [{ id: "a", title: "A", stages: [] }, { id: "a", title: "A2", stages: [sub("s", "a")] }] };
    expect(() => parseConfigText(JSON.stringify(config), P)).not.toThrow();
  });
  test("later-issue keys are optional and accepted", () => {
    const config = {
      approvalPolicy: "never", sandbox: "read-only", telemetry: { endpoint: "http://h", headers: { a: "b" } },
      notifications: ["http://h/x", "cmd:./n.sh", { target: "https://h", events: ["run:summary"] }],
      ...one([cmd("a", { approval: { required: true, key: "k" }, sandbox: "workspace-write", timeout: 1.5, session: { id: "s", reuse: true } })]),
    };
    expect(() => parseConfigText(JSON.stringify(config), P)).not.toThrow();
  });
});

describe("loadConfig", () => {
  test("missing file → null; present file → absolute path", () => {
    const dir = scratchDir();
    expect(loadConfig(dir)).toBeNull();
    writeFileSync(join(dir, "codex.orchestrator.json"), JSON.stringify(one([cmd("a")])));
    expect(loadConfig(dir)?.path).toBe(join(dir, "codex.orchestrator.json"));
  });
  test("unreadable (a directory) → exit 2 naming the path", () => {
    const dir = scratchDir();
    mkdirSync(join(dir, "codex.orchestrator.json"));
    expect(() => loadConfig(dir)).toThrow(`Invalid config ${join(dir, "codex.orchestrator.json")}: unreadable: `);
  });
});
