import { expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, cliEnv, runCli, scratchDir } from "../helpers/cli.ts";
import { liveProcesses } from "../helpers/processes.ts";
import { manifestOf, runIds } from "../helpers/runs.ts";
import { waitFor } from "../helpers/wait.ts";

test("cancel: an active start run ends cancelled like SIGTERM; unknown → 2; finished → 1 (SPEC §5.8)", async () => {
  const w = scratchDir("co-cancel-cmd-");
  writeFileSync(
    join(w, "codex.orchestrator.json"),
    JSON.stringify({ pipelines: [{ id: "slow", title: "Slow", stages: [{ kind: "command", id: "nap", title: "nap", command: "sleep 27.3" }] }] }),
  );
  const proc = Bun.spawn([CLI, "start", "slow", "--format", "json"], { cwd: w, env: cliEnv(), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const runId = await waitFor(() => runIds(w)[0]);
  await waitFor(() => existsSync(join(w, ".runs/t1/cli", runId, ".owner")));
  const cancel = await runCli(["cancel", runId], { cwd: w });
  expect(cancel.code).toBe(0);
  expect(cancel.stdout).toBe(`Run cancelled: ${runId}\nStatus: cancelled\n`);
  expect(await proc.exited).toBe(143);
  const m = manifestOf(w, runId);
  expect(m.status).toBe("cancelled");
  expect(m.status_detail).toBe("cancelled:SIGTERM");
  expect(existsSync(join(w, ".runs/t1/cli", runId, ".owner"))).toBe(false);
  expect(liveProcesses("sleep 27.3")).toEqual([]);

  const again = await runCli(["cancel", "--run", runId], { cwd: w });
  expect(again.code).toBe(1);
  expect(again.stderr).toBe(`Run ${runId} is not active (status cancelled).\n`);
  const unknown = await runCli(["cancel", "2025-01-01T00-00-00-000Z-00000000"], { cwd: w });
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toStartWith("Run '2025-01-01T00-00-00-000Z-00000000' not found under");
  expect((await runCli(["cancel"], { cwd: w })).stderr).toBe("cancel requires --run <run-id>.\n");
}, 60_000);
