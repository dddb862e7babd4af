import { describe, expect, test } from "bun:test";
import { runCli, spawnCli } from "../helpers/cli.ts";
import { SPEC_CONFIG, specWorkspace } from "../pipeline/fixture.ts";
import { cmdline, descendants, isAlive } from "../helpers/processes.ts";
import { manifestOf, metricsLines, runIds } from "../helpers/runs.ts";
import { waitFor } from "../helpers/wait.ts";

const CONFIG = {
  ...SPEC_CONFIG,
  pipelines: [
    ...SPEC_CONFIG.pipelines,
    {
      id: "slow2",
      title: "Slow then more",
      stages: [
        { kind: "command", id: "nap", title: "nap", command: "sleep ${NAP:-30}" },
        { kind: "command", id: "after", title: "after", command: "echo after" },
      ],
    },
    { id: "slowparent", title: "Slow parent", stages: [{ kind: "subpipeline", id: "child", title: "child", pipeline: "slow" }] },
    {
      id: "slowsession",
      title: "Slow in a session",
      stages: [{ kind: "command", id: "nap", title: "nap", command: "sleep ${NAP:-30}", session: { id: "s", persist: true } }],
    },
  ],
};

/**
 * Every process that was below the CLI is gone shortly after it exits: the stage's commands die with the cancel; the
 * CLI's orphan-guard watchdog exits a few milliseconds later, when it reads end-of-file.
 */
async function expectAllGone(pids: number[]): Promise<void> {
  const gone = await waitFor(() => pids.every((pid) => !isAlive(pid)), 3_000).catch(() => false);
  expect({ gone, alive: pids.filter((pid) => isAlive(pid)) }).toEqual({ gone: true, alive: [] });
}

/** Starts `pipeline`, waits until its stage command runs (a `sleep` below the CLI), returns the handle. */
async function startRunning(w: string, pipeline: string) {
  const handle = spawnCli(["start", pipeline], { cwd: w, env: { NAP: "30" } });
  const pids = await waitFor(() => {
    const below = descendants(handle.proc.pid);
    return below.some((p) => cmdline(p)?.startsWith("sleep")) ? below : null;
  });
  return { ...handle, pids };
}

async function cancelWith(signal: "SIGTERM" | "SIGINT", w: string, pipeline: string) {
  const run = await startRunning(w, pipeline);
  run.proc.kill(signal);
  await run.proc.exited;
  return { ...run, code: run.proc.exitCode, out: await run.stdout, err: await run.stderr };
}

describe("cancellation (SPEC §13, check 20)", () => {
  test("SIGTERM: stage cancelled, later stages pending, no process left, metrics line; resumable", async () => {
    const w = specWorkspace(CONFIG);
    const r = await cancelWith("SIGTERM", w, "slow2");
    expect(r.code).toBe(143);
    expect(r.out).toContain("Status: cancelled\n");
    await expectAllGone(r.pids);
    const [runId] = runIds(w) as [string];
    const m = manifestOf(w, runId);
    expect([m.status, m.status_detail]).toEqual(["cancelled", "cancelled:SIGTERM"]);
    expect(m.commands.map((c) => c.status)).toEqual(["cancelled", "pending"]);
    expect(m.commands[0]?.exit_code).toBe(143);
    expect(m.commands[0]?.error_file).toBeNull();
    expect(m.commands[0]?.completed_at).not.toBeNull();
    expect(m.summary?.split("\n")[0]).toBe("Run cancelled by SIGTERM.");
    expect(m.completed_at).not.toBeNull();
    expect(metricsLines(w).map((l) => l.status)).toEqual(["cancelled"]);

    const resumed = await runCli(["resume", runId], { cwd: w, env: { NAP: "1" } });
    expect(resumed.code).toBe(0);
    const after = manifestOf(w, runId);
    expect([after.status, after.status_detail]).toEqual(["succeeded", null]);
    expect(after.commands.map((c) => c.status)).toEqual(["succeeded", "succeeded"]);
    expect(after.summary).not.toContain("Run cancelled by");
  }, 30_000);

  test("SIGINT → 130 and cancelled:SIGINT", async () => {
    const w = specWorkspace(CONFIG);
    const r = await cancelWith("SIGINT", w, "slow");
    expect(r.code).toBe(130);
    await expectAllGone(r.pids);
    const m = manifestOf(w, runIds(w)[0] as string);
    expect([m.status, m.status_detail, m.commands[0]?.status]).toEqual(["cancelled", "cancelled:SIGINT", "cancelled"]);
  }, 30_000);

  test("a running child run is cancelled with its parent", async () => {
    const w = specWorkspace(CONFIG);
    const r = await cancelWith("SIGTERM", w, "slowparent");
    expect(r.code).toBe(143);
    await expectAllGone(r.pids);
    const manifests = runIds(w).map((id) => manifestOf(w, id));
    const parent = manifests.find((m) => m.pipeline_id === "slowparent");
    const child = manifests.find((m) => m.pipeline_id === "slow");
    expect([parent?.status, parent?.commands[0]?.status]).toEqual(["cancelled", "cancelled"]);
    expect([child?.status, child?.status_detail, child?.commands[0]?.status]).toEqual(["cancelled", "cancelled:SIGTERM", "cancelled"]);
    expect(parent?.child_runs).toEqual([expect.objectContaining({ run_id: child?.run_id, status: "cancelled" })]);
    expect(metricsLines(w).map((l) => l.status)).toEqual(["cancelled", "cancelled"]);
  }, 30_000);

  test("a stage in a persisted session shell is interrupted; the shell goes with the CLI", async () => {
    const w = specWorkspace(CONFIG);
    const r = await cancelWith("SIGTERM", w, "slowsession");
    expect(r.code).toBe(143);
    await waitFor(() => r.pids.every((pid) => !isAlive(pid)), 5_000);
    const m = manifestOf(w, runIds(w)[0] as string);
    expect([m.status, m.commands[0]?.status]).toEqual(["cancelled", "cancelled"]);
  }, 30_000);
});
