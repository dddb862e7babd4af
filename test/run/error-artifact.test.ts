import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { ErrorArtifact } from "../../src/core/schemas/records.ts";
import { buildErrorArtifact, type ErrorArtifactInput, writeErrorArtifact } from "../../src/run/error-artifact.ts";
import { useTempDirs } from "./fixtures/temp.ts";

const tempDir = useTempDirs();

const base: ErrorArtifactInput = {
  runId: "2025-11-04T02-45-12-345Z-abcdef01",
  taskId: "t1",
  commandIndex: 2,
  commandId: "fail-once",
  command: "exit 3",
  reason: "command-failed",
  exitCode: 3,
  sandboxState: "sandboxed",
  stderr: "failing\n",
  createdAt: new Date("2025-11-04T02:45:13.000Z"),
};

describe("error artifacts (§9.5)", () => {
  test("a failed command: fields in order, stderr trimmed, no optional keys; written as errors/NN-<slug>.json", async () => {
    const dir = tempDir();
    const path = await writeErrorArtifact(dir, base);
    expect(path).toBe(join(dir, "errors/02-fail-once.json"));
    const text = readFileSync(path, "utf8");
    const artifact = JSON.parse(text);
    expect(text).toBe(`${JSON.stringify(artifact, null, 2)}\n`);
    expect(artifact).toEqual({
      run_id: base.runId,
      task_id: "t1",
      command_index: 2,
      command_id: "fail-once",
      command: "exit 3",
      reason: "command-failed",
      details: { exit_code: 3, sandbox_state: "sandboxed", stderr: "failing" },
      created_at: "2025-11-04T02:45:13.000Z",
    });
    expect(Object.keys(artifact)).toEqual([
      "run_id",
      "task_id",
      "command_index",
      "command_id",
      "command",
      "reason",
      "details",
      "created_at",
    ]);
    expect(v.safeParse(ErrorArtifact, artifact).success).toBe(true);
  });

  test("streams over 65 536 bytes are flagged; a long stderr is cut to 8 192 + … without a second flag", () => {
    const artifact = buildErrorArtifact({
      ...base,
      exitCode: 1,
      stderr: `  ${"e".repeat(65_536)}  `,
      stdoutBytes: 100_000,
      stderrBytes: 70_000,
    });
    expect(artifact.details.stderr.length).toBe(8193);
    expect(artifact.details.stderr.endsWith("e…")).toBe(true);
    expect(Object.keys(artifact.details)).toEqual([
      "exit_code",
      "sandbox_state",
      "stderr",
      "stdout_truncated",
      "stderr_truncated",
    ]);
    expect(artifact.details.stdout_truncated).toBe(true);
    expect(artifact.details.stderr_truncated).toBe(true);
    expect(JSON.stringify(artifact)).not.toContain("aaaa"); // stdout is never stored
  });

  test("a stream of exactly 65 536 bytes is not flagged; a long text of a short stream gets <key>_truncated", () => {
    const artifact = buildErrorArtifact({ ...base, stderr: "x".repeat(9000), stdoutBytes: 65_536, stderrBytes: 9000 });
    expect(artifact.details.stdout_truncated).toBeUndefined();
    expect(artifact.details.stderr).toBe(`${"x".repeat(8192)}…`);
    expect(artifact.details.stderr_truncated).toBe(true);
    const exact = buildErrorArtifact({ ...base, stderr: "y".repeat(8192) });
    expect(exact.details.stderr.length).toBe(8192);
    expect(exact.details.stderr_truncated).toBeUndefined();
  });

  test("spawn failure: error message kept (and cut when long); signal when signalled", () => {
    const spawn = buildErrorArtifact({
      ...base,
      reason: "spawn-failed",
      exitCode: 127,
      stderr: "",
      error: "command not found: nope",
    });
    expect(spawn.details).toEqual({
      exit_code: 127,
      sandbox_state: "sandboxed",
      stderr: "",
      error: "command not found: nope",
    });
    const long = buildErrorArtifact({ ...base, error: "m".repeat(10_000) });
    expect(long.details.error?.length).toBe(8193);
    expect((long.details as Record<string, unknown>).error_truncated).toBe(true);
    const signalled = buildErrorArtifact({ ...base, exitCode: 137, signal: "SIGKILL" });
    expect(Object.keys(signalled.details)).toEqual(["exit_code", "sandbox_state", "stderr", "signal"]);
    expect(signalled.details.signal).toBe("SIGKILL");
  });
});
