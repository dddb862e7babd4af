import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeRunSummaryFile } from "../../src/run/run-summary-file.ts";
import { useTempDirs } from "./fixtures/temp.ts";

const tempDir = useTempDirs();

test("run-summary.json is pretty JSON with a trailing newline, parents created", async () => {
  const dir = join(tempDir(), "t1/cli/run");
  const path = await writeRunSummaryFile(dir, { taskId: "t1", runId: "r", mode: "mcp" });
  expect(path).toBe(join(dir, "run-summary.json"));
  expect(readFileSync(path, "utf8")).toBe('{\n  "taskId": "t1",\n  "runId": "r",\n  "mode": "mcp"\n}\n');
});
