import { describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, spawnCli } from "../helpers/cli.ts";
import { specWorkspace } from "../pipeline/fixture.ts";
import { descendants, groupsOf, isAlive } from "../helpers/processes.ts";
import { manifestOf, runDirOf, runIds } from "../helpers/runs.ts";
import { waitFor } from "../helpers/wait.ts";

/** `start slow`, then SIGKILL of the CLI while its stage runs, and of the stage's orphaned process group (check 19). */
async function crashWhileRunning(w: string): Promise<string> {
  const { proc } = spawnCli(["start", "slow"], { cwd: w, env: { NAP: "30" } });
  const running = (id: string) => {
    try {
      return manifestOf(w, id).commands[0]?.status === "running";
    } catch {
      return false; // not written yet
    }
  };
  const runId = await waitFor(() => runIds(w).find(running));
  const below = await waitFor(() => {
    const pids = descendants(proc.pid);
    return pids.length > 0 ? pids : null;
  });
  const groups = groupsOf(below);
  proc.kill("SIGKILL");
  await proc.exited;
  for (const g of groups) {
    try {
      process.kill(-g, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  await waitFor(() => below.every((p) => !isAlive(p)), 5_000);
  return runId;
}

/** Makes the run look abandoned long ago, as 36 s of waiting would (`.heartbeat` and `heartbeat_at`). */
function ageHeartbeat(w: string, runId: string): void {
  const dir = runDirOf(w, runId);
  const old = new Date(Date.now() - 36_000).toISOString();
  writeFileSync(join(dir, ".heartbeat"), `${old}\n`);
  const path = join(dir, "manifest.json");
  const doc = JSON.parse(readFileSync(path, "utf8"));
  doc.heartbeat_at = old;
  writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`);
}

describe("crash recovery (check 19)", () => {
  test("kill -9 leaves a valid manifest; a fresh heartbeat blocks resume; stale → resume finishes it", async () => {
    const w = specWorkspace();
    const runId = await crashWhileRunning(w);
    const crashed = manifestOf(w, runId); // schema-valid
    expect([crashed.status, crashed.commands[0]?.status]).toEqual(["in_progress", "running"]);

    // Its recorded owner is dead: stale at once (issue 22.6), no 30 s wait.
    const dead = await runCli(["status", runId, "--format", "json"], { cwd: w });
    expect(JSON.parse(dead.stdout).activity.stale).toBe(true);
    // With no owner recorded (another machine's run, say) only the heartbeat tells: fresh, so still active.
    rmSync(join(runDirOf(w, runId), ".owner"));
    const fresh = await runCli(["status", runId, "--format", "json"], { cwd: w });
    expect(JSON.parse(fresh.stdout).activity.stale).toBe(false);
    const refused = await runCli(["resume", runId], { cwd: w, env: { NAP: "1" } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("--force");

    ageHeartbeat(w, runId);
    const stale = await runCli(["status", runId, "--format", "json"], { cwd: w });
    const doc = JSON.parse(stale.stdout);
    expect([doc.status, doc.activity.stale]).toEqual(["in_progress", true]);
    expect(doc.activity.age_seconds).toBeGreaterThan(30);
    expect((await runCli(["status", runId], { cwd: w })).stdout).toContain("[stale]");

    const resumed = await runCli(["resume", runId], { cwd: w, env: { NAP: "1" } });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toBe(`Run resumed: ${runId}\nStatus: succeeded\n`);
    const m = manifestOf(w, runId);
    expect([m.status, m.commands[0]?.status, m.commands[0]?.exit_code]).toEqual(["succeeded", "succeeded", 0]);
    expect(m.resume_events).toHaveLength(1);
    expect(m.resume_events[0]?.detail).toBeUndefined();
    expect(m.started_at).toBe(crashed.started_at);
  }, 40_000);

  test("--force resumes a run whose heartbeat is still fresh, recorded as forced", async () => {
    const w = specWorkspace();
    const runId = await crashWhileRunning(w);
    rmSync(join(runDirOf(w, runId), ".owner")); // else its dead owner makes it stale, and no force is needed
    const r = await runCli(["resume", runId, "--force"], { cwd: w, env: { NAP: "0" } });
    expect(r.code).toBe(0);
    const m = manifestOf(w, runId);
    expect(m.status).toBe("succeeded");
    expect(m.resume_events).toEqual([{ actor: "cli", reason: "manual-resume", outcome: "accepted", timestamp: expect.any(String), detail: "forced" }]);
  }, 40_000);
});
