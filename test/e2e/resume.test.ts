import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, spawnCli } from "../helpers/cli.ts";
import { SPEC_CONFIG, specWorkspace } from "../pipeline/fixture.ts";
import { manifestOf, metricsLines, runDirOf, runIds } from "../helpers/runs.ts";
import { waitFor } from "../helpers/wait.ts";

describe("resume (SPEC §12, checks 12, 13)", () => {
  test("token mismatch leaves the manifest alone; a resume reruns only the unfinished stages", async () => {
    const w = specWorkspace();
    writeFileSync(join(w, "fail.flag"), "");
    expect((await runCli(["start", "failable"], { cwd: w })).code).toBe(1);
    const [runId] = runIds(w) as [string];
    const manifestPath = join(runDirOf(w, runId), "manifest.json");
    const before = manifestOf(w, runId);
    const bytes = readFileSync(manifestPath, "utf8");

    const wrong = await runCli(["resume", "--run", runId, "--token", "wrong"], { cwd: w });
    expect([wrong.code, wrong.stderr]).toEqual([2, "Resume token mismatch.\n"]);
    expect(readFileSync(manifestPath, "utf8")).toBe(bytes);

    const r = await runCli(["resume", runId, "--actor", "alice", "--reason", "retry", "--token", before.resume_token], { cwd: w });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Run resumed: ${runId}\nStatus: succeeded\n`);
    const after = manifestOf(w, runId);
    expect(after.status).toBe("succeeded");
    expect(after.status_detail).toBeNull();
    expect(after.started_at).toBe(before.started_at);
    // `first` was kept: not rerun.
    expect(after.commands[0]?.started_at).toBe(before.commands[0]?.started_at as string);
    expect(after.commands.map((c) => [c.status, c.summary])).toEqual([
      ["succeeded", "first"],
      ["succeeded", "ok"],
      ["succeeded", "hint!"],
    ]);
    expect(after.commands[1]?.error_file).toBeNull();
    expect(after.resume_events).toEqual([{ actor: "alice", reason: "retry", outcome: "accepted", timestamp: expect.any(String) }]);
    expect(after.summary).not.toContain("Stage 'fail once' failed");
    expect(after.metrics_recorded).toBe(true);
    const metrics = metricsLines(w);
    expect(metrics.map((l) => [l.run_id, l.status])).toEqual([
      [runId, "failed"],
      [runId, "succeeded"],
    ]);
    const state = JSON.parse(readFileSync(join(w, "out/t1/state.json"), "utf8"));
    expect(state.runs.filter((x: { runId: string }) => x.runId === runId)).toHaveLength(1);
    expect(state.runs.at(-1).build.success).toBe(true);
    // The RunSummary notes name the kept stage by status.
    const summary = JSON.parse(readFileSync(join(runDirOf(w, runId), "run-summary.json"), "utf8"));
    expect(summary.build.notes.split("\n")).toEqual(["first: succeeded", "fail once: ok", "after: hint!"]);

    // A succeeded run is refused (issue 22.5; SPEC §12 allowed it): nothing is reset, recorded or sent again.
    const again = await runCli(["resume", runId], { cwd: w });
    expect([again.code, again.stderr]).toEqual([1, `Run ${runId} already succeeded; there is nothing to resume.\n`]);
    expect(metricsLines(w)).toHaveLength(2);
  });

  test("lookup and pipeline errors", async () => {
    const w = specWorkspace();
    const none = await runCli(["resume"], { cwd: w });
    expect([none.code, none.stderr]).toEqual([2, "resume requires --run <run-id>.\n"]);
    const nope = await runCli(["resume", "--run", "nope"], { cwd: w });
    expect(nope.code).toBe(2);
    expect(nope.stderr).toStartWith('Invalid run ID "nope"');
    expect(existsSync(join(w, ".runs"))).toBe(false);
    const exec = await runCli(["exec", "--json", "compact", "--", "true"], { cwd: w });
    const execRun = JSON.parse(exec.stdout).payload.runId as string;
    // An exec run is resumable (issue 22.6); this one succeeded, so there is nothing to do.
    const r = await runCli(["resume", execRun], { cwd: w });
    expect([r.code, r.stderr]).toEqual([1, `Run ${execRun} already succeeded; there is nothing to resume.\n`]);
    const other = await runCli(["resume", execRun, "--task", "other"], { cwd: w });
    expect(other.code).toBe(2);
    expect(other.stderr).toStartWith(`Run '${execRun}' not found for task 'other'`);
  });

  test("a failed child pipeline is rerun as a new child run", async () => {
    const config = {
      ...SPEC_CONFIG,
      pipelines: [...SPEC_CONFIG.pipelines, { id: "p2", title: "P2", stages: [{ kind: "subpipeline", id: "sub", title: "sub", pipeline: "failable" }] }],
    };
    const w = specWorkspace(config);
    writeFileSync(join(w, "fail.flag"), "");
    const first = await runCli(["start", "p2", "--format", "json"], { cwd: w });
    expect(first.code).toBe(1);
    const runId = JSON.parse(first.stdout).run_id as string;
    const failed = manifestOf(w, runId);
    expect(failed.status_detail).toBe("subpipeline:failable:failed");
    expect(failed.summary?.split("\n")[0]).toBe("Sub-pipeline 'failable' failed.");
    const r = await runCli(["resume", runId], { cwd: w });
    expect(r.code).toBe(0);
    const m = manifestOf(w, runId);
    expect(m.child_runs.map((c) => c.status)).toEqual(["failed", "succeeded"]);
    expect(m.commands[0]?.sub_run_id).toBe(m.child_runs[1]?.run_id as string);
    expect(m.summary).not.toContain("Sub-pipeline 'failable' failed.");
    expect(manifestOf(w, m.child_runs[1]?.run_id as string).parent_run_id).toBe(runId);
  });
});

describe("a running run (checks 17, 18)", () => {
  test("heartbeat ticks, status shows it active, resume refuses without --force", async () => {
    const w = specWorkspace();
    const { proc, stdout } = spawnCli(["start", "slow"], { cwd: w, env: { NAP: "11" } });
    const runId = await waitFor(() => runIds(w)[0]);
    const dir = runDirOf(w, runId);
    const beat = () => (existsSync(join(dir, ".heartbeat")) ? readFileSync(join(dir, ".heartbeat"), "utf8") : null);
    const seen = new Set<string>();
    const first = await waitFor(beat);
    seen.add(first);

    const status = await runCli(["status", runId, "--format", "json"], { cwd: w });
    const doc = JSON.parse(status.stdout);
    expect([doc.status, doc.activity.stale]).toEqual(["in_progress", false]);
    const events = manifestOf(w, runId).resume_events;
    const refused = await runCli(["resume", runId], { cwd: w });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Run \S+ is still active \(last heartbeat \d+s ago\); pass --force to resume it anyway\.\n$/);
    expect(manifestOf(w, runId).resume_events).toEqual(events);

    while (proc.exitCode === null) {
      const b = beat();
      if (b !== null) seen.add(b);
      await Bun.sleep(250);
    }
    await proc.exited;
    expect(proc.exitCode).toBe(0);
    expect(await stdout).toContain("Status: succeeded");
    // Ticks every 5 s during an 11 s stage, plus the start and final beats.
    expect(seen.size).toBeGreaterThanOrEqual(3);
    const m = manifestOf(w, runId);
    expect(readFileSync(join(dir, ".heartbeat"), "utf8")).toBe(`${m.heartbeat_at}\n`);
  }, 40_000);
});
