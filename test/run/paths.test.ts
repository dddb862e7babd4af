import { describe, expect, test } from "bun:test";
import {
  commandLogPath,
  effectiveTaskId,
  errorFilePath,
  metricsLockPath,
  metricsPath,
  rel,
  resolveStoreRoots,
  runDir,
  taskStateLockPath,
  taskStatePath,
} from "../../src/run/paths.ts";

const RUN = "2025-11-04T02-45-12-345Z-abcdef01";

describe("store roots", () => {
  test("defaults: repo = cwd, runs = <repo>/.runs, out = <repo>/out", () => {
    expect(resolveStoreRoots({ env: {}, cwd: "/w" })).toEqual({ repo: "/w", runs: "/w/.runs", out: "/w/out" });
  });
  test("empty variables count as unset", () => {
    const env = { CODEX_ORCHESTRATOR_ROOT: "", CODEX_ORCHESTRATOR_RUNS_DIR: "", CODEX_ORCHESTRATOR_OUT_DIR: "" };
    expect(resolveStoreRoots({ env, cwd: "/w" })).toEqual({ repo: "/w", runs: "/w/.runs", out: "/w/out" });
  });
  test("relative values resolve against the cwd, not the repo", () => {
    const env = {
      CODEX_ORCHESTRATOR_ROOT: "../r",
      CODEX_ORCHESTRATOR_RUNS_DIR: "x",
      CODEX_ORCHESTRATOR_OUT_DIR: "/abs/o/",
    };
    expect(resolveStoreRoots({ env, cwd: "/base/c" })).toEqual({ repo: "/base/r", runs: "/base/c/x", out: "/abs/o" });
  });
  test("runs and out follow ROOT when only ROOT is set", () => {
    expect(resolveStoreRoots({ env: { CODEX_ORCHESTRATOR_ROOT: "/r" }, cwd: "/c" })).toEqual({
      repo: "/r",
      runs: "/r/.runs",
      out: "/r/out",
    });
  });
});

describe("effective task id", () => {
  test("--task wins over the environment", () => {
    expect(effectiveTaskId("t9", { MCP_RUNNER_TASK_ID: "t1" })).toBe("t9");
  });
  test("environment, then 0101", () => {
    expect(effectiveTaskId(undefined, { MCP_RUNNER_TASK_ID: "demo-Task.1" })).toBe("demo-Task.1");
    expect(effectiveTaskId(undefined, { MCP_RUNNER_TASK_ID: "" })).toBe("0101");
    expect(effectiveTaskId(undefined, {})).toBe("0101");
  });
  test("invalid ids name their source", () => {
    expect(() => effectiveTaskId("a..b", {})).toThrow(`Invalid task ID "a..b" from --task: must not contain '..'.`);
    expect(() => effectiveTaskId(undefined, { MCP_RUNNER_TASK_ID: "../evil" })).toThrow(
      `Invalid task ID "../evil" from MCP_RUNNER_TASK_ID: must start with a letter or digit.`,
    );
  });
});

describe("run paths", () => {
  const roots = { repo: "/base/r", runs: "/base/x", out: "/base/o" };
  test("layout of §7.1", () => {
    const dir = runDir(roots, "t1", RUN);
    expect(dir).toBe(`/base/x/t1/cli/${RUN}`);
    expect(commandLogPath(dir, 1, " echo ok! ")).toBe(`${dir}/commands/01-echo-ok.ndjson`);
    expect(errorFilePath(dir, 12, "***")).toBe(`${dir}/errors/12-command.json`);
    expect(metricsPath(roots, "t1")).toBe("/base/x/t1/metrics.json");
    expect(metricsLockPath(roots, "t1")).toBe("/base/x/t1/metrics.json.lock");
    expect(taskStatePath(roots, "t1")).toBe("/base/o/t1/state.json");
    expect(taskStateLockPath(roots, "t1")).toBe("/base/x/t1.lock");
  });
  test("rel() is relative to the repo and may leave it", () => {
    expect(rel(roots, runDir(roots, "t1", RUN))).toBe(`../x/t1/cli/${RUN}`);
    expect(rel({ repo: "/w" }, `/w/.runs/t1/cli/${RUN}/runner.ndjson`)).toBe(`.runs/t1/cli/${RUN}/runner.ndjson`);
  });
});
