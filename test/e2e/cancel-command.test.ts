import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, cliEnv, runCli, scratchDir } from "../helpers/cli.ts";

function onlyRun(w: string): string | null {
  const dir = join(w, ".runs/t1/cli");
  return existsSync(dir) ? (readdirSync(dir)[0] ?? null) : null;
}

async function waitFor<T>(get: () => T | null, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = get();
    if (value !== null) return value;
    if (Date.now() > end) throw new Error("timed out waiting");
    await Bun.sleep(50);
  }
}

test("cancel: an active start run ends cancelled like SIGTERM; unknown → 2; finished → 1 (SPEC §5.8)", async () => {
  const w = scratchDir("co-cancel-cmd-");
  writeFileSync(
    join(w, "codex.orchestrator.json"),
    JSON.stringify({ pipelines: [{ id: "slow", title: "Slow", stages: [{ kind: "command", id: "nap", title: "nap", command: "sleep 27.3" }] }] }),
  );
  const proc = Bun.spawn([CLI, "start", "slow", "--format", "json"], { cwd: w, env: cliEnv(), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const runId = await waitFor(() => onlyRun(w));
  await waitFor(() => (existsSync(join(w, ".runs/t1/cli", runId, ".owner")) ? true : null));
  const cancel = await runCli(["cancel", runId], { cwd: w });
  expect(cancel.code).toBe(0);
  expect(cancel.stdout).toBe(`Run cancelled: ${runId}\nStatus: cancelled\n`);
  expect(await proc.exited).toBe(143);
  const m = JSON.parse(readFileSync(join(w, ".runs/t1/cli", runId, "manifest.json"), "utf8"));
  expect(m.status).toBe("cancelled");
  expect(m.status_detail).toBe("cancelled:SIGTERM");
  expect(existsSync(join(w, ".runs/t1/cli", runId, ".owner"))).toBe(false);
  expect(Bun.spawnSync(["pgrep", "-f", "sleep 27.3"]).stdout.toString().trim()).toBe("");

  const again = await runCli(["cancel", "--run", runId], { cwd: w });
  expect(again.code).toBe(1);
  expect(again.stderr).toBe(`Run ${runId} is not active (status cancelled).\n`);
  const unknown = await runCli(["cancel", "2025-01-01T00-00-00-000Z-00000000"], { cwd: w });
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toStartWith("Run '2025-01-01T00-00-00-000Z-00000000' not found under");
  expect((await runCli(["cancel"], { cwd: w })).stderr).toBe("cancel requires --run <run-id>.\n");
}, 60_000);
