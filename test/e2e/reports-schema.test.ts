import { expect, test } from "bun:test";
import * as v from "valibot";
import { PlanDocument, StatusReport } from "../../src/core/schemas/reports.ts";
import { runCli, scratchDir } from "../helpers/cli.ts";

test("status and plan JSON documents validate against their published schemas", async () => {
  const w = scratchDir("co-reports-");
  const exec = await runCli(["exec", "--json", "compact", "--", "true"], { cwd: w });
  const runId = JSON.parse(exec.stdout).payload.run.id as string;
  const status = await runCli(["status", runId, "--format", "json"], { cwd: w });
  expect(status.code).toBe(0);
  const report = v.safeParse(StatusReport, JSON.parse(status.stdout));
  expect(report.success).toBe(true);
  const plan = await runCli(["plan", "--format", "json"], { cwd: w });
  expect(plan.code).toBe(0);
  expect(v.safeParse(PlanDocument, JSON.parse(plan.stdout)).success).toBe(true);
});
