import { describe, expect, test } from "bun:test";
import { newRunId, isRunId, stageSlug, taskIdProblem, validateRunId, validateTaskId } from "../../src/core/ids.ts";

describe("task ids", () => {
  test("accepts valid ids exactly as given", () => {
    expect(validateTaskId("demo-Task.1", "--task")).toBe("demo-Task.1");
  });
  test.each([
    ["", "value must be a non-empty string"],
    [".hidden", "must start with a letter or digit"],
    ["Other Task!", "only letters, digits, '.', '_' and '-' are allowed"],
    ["a".repeat(129), "must be at most 128 characters"],
    ["a..b", "must not contain '..'"],
    ["../x", "must start with a letter or digit"],
  ])("rejects %p", (value, reason) => {
    expect(taskIdProblem(value)).toBe(reason);
    expect(() => validateTaskId(value, "--task")).toThrow(`Invalid task ID "${value}" from --task: ${reason}.`);
  });
});

describe("run ids", () => {
  test("new ids match the pattern", () => {
    const id = newRunId(new Date("2025-11-04T02:45:12.345Z"), () => new Uint8Array([0xab, 0xcd, 0xef, 0x01]));
    expect(id).toBe("2025-11-04T02-45-12-345Z-abcdef01");
    expect(isRunId(newRunId())).toBe(true);
  });
  test("rejects traversal", () => {
    expect(() => validateRunId("../../etc")).toThrow('Invalid run ID "../../etc": expected YYYY-MM-DDTHH-MM-SS-mmmZ-xxxxxxxx.');
  });
});

test("stage slugs", () => {
  expect(stageSlug("  Fail once!! ")).toBe("Fail-once");
  expect(stageSlug("***")).toBe("command");
  expect(stageSlug("x".repeat(100))).toHaveLength(80);
});
