/**
 * Issue 22 points 2, 5, 6, 7: resume matches stages by id and refuses a changed pipeline; one resumer at a time, a
 * succeeded run refused; SIGHUP cancels; a run whose owner was killed can be closed by `cancel`, and `status --watch`
 * of it ends. All through the compiled binary.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { groupExists } from "../helpers/processes.ts";
import { runCli, spawnCli } from "../helpers/cli.ts";
import { specWorkspace } from "../pipeline/fixture.ts";
import { manifestOf, metricsLines, runDirOf, runIds } from "../helpers/runs.ts";
import { waitFor } from "../helpers/wait.ts";

const C = (id: string, command: string) => ({ kind: "command", id, title: id, command });
const config = (stages: unknown[]) => ({ pipelines: [{ id: "p", title: "P", stages }] });
const BUILD = C("build", "echo built");
const TEST = C("test", "if [ -f fail.flag ]; then echo failing >&2; exit 3; fi; echo tested > tested.txt");

function writeConfig(w: string, stages: unknown[]): void {
  writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify(config(stages)));
}

async function failedRun(stages: unknown[] = [BUILD, TEST]): Promise<{ w: string; runId: string; bytes: string }> {
  const w = specWorkspace(config(stages));
  writeFileSync(join(w, "fail.flag"), "");
  expect((await runCli(["start", "p"], { cwd: w })).code).toBe(1);
  const [runId] = runIds(w) as [string];
  return { w, runId, bytes: readFileSync(join(runDirOf(w, runId), "manifest.json"), "utf8") };
}

describe("resume matches stages by id (issue 22.2)", () => {
  test("a stage inserted before the failed one: refused with what changed, the manifest untouched", async () => {
    const { w, runId, bytes } = await failedRun();
    const m = manifestOf(w, runId);
    expect(m.pipeline_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(m.commands.map((c) => c.definition_hash)).toEqual([expect.stringMatching(/^sha256:/), expect.stringMatching(/^sha256:/)]);

    writeConfig(w, [C("setup", "echo setup > setup.txt"), BUILD, TEST]);
    const r = await runCli(["resume", runId], { cwd: w });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `Cannot resume run ${runId}: pipeline 'p' changed since the run started (stage 'setup' added); start a new run.\n`,
    );
    expect(readFileSync(join(runDirOf(w, runId), "manifest.json"), "utf8")).toBe(bytes);
    expect(existsSync(join(w, "setup.txt"))).toBe(false);
  });

  test("a redefined, removed or reordered stage is named; the unchanged definition resumes and reruns the real stage", async () => {
    const { w, runId, bytes } = await failedRun();
    const cases: [unknown[], string][] = [
      [[BUILD, C("test", "true")], "stage 'test' changed"],
      [[BUILD], "stage 'test' removed"],
      [[TEST, BUILD], "stages reordered"],
    ];
    for (const [stages, what] of cases) {
      writeConfig(w, stages);
      const r = await runCli(["resume", runId], { cwd: w });
      expect([r.code, r.stderr]).toEqual([1, expect.stringContaining(`(${what})`)]);
      expect(readFileSync(join(runDirOf(w, runId), "manifest.json"), "utf8")).toBe(bytes);
    }
    // A title or description is not behaviour: still the same pipeline.
    writeFileSync(
      join(w, "codex.orchestrator.json"),
      JSON.stringify({ pipelines: [{ id: "p", title: "Renamed", description: "d", stages: [BUILD, TEST] }] }),
    );
    writeFileSync(join(w, "fail.flag"), "");
    const again = await runCli(["resume", runId], { cwd: w });
    expect(again.code).toBe(1);
    const { rmSync } = await import("node:fs");
    rmSync(join(w, "fail.flag"));
    const ok = await runCli(["resume", runId], { cwd: w });
    expect([ok.code, ok.stdout]).toEqual([0, `Run resumed: ${runId}\nStatus: succeeded\n`]);
    expect(readFileSync(join(w, "tested.txt"), "utf8")).toBe("tested\n");
    expect(manifestOf(w, runId).commands.map((c) => [c.id, c.status])).toEqual([
      ["build", "succeeded"],
      ["test", "succeeded"],
    ]);
  });

  test("a run recorded before hashes existed is compared by its stage ids", async () => {
    const { w, runId } = await failedRun();
    const path = join(runDirOf(w, runId), "manifest.json");
    const m = JSON.parse(readFileSync(path, "utf8"));
    delete m.pipeline_hash;
    for (const c of m.commands) delete c.definition_hash;
    writeFileSync(path, JSON.stringify(m, null, 2));
    writeConfig(w, [C("setup", "echo setup > setup.txt"), BUILD, TEST]);
    const r = await runCli(["resume", runId], { cwd: w });
    expect([r.code, r.stderr]).toEqual([1, expect.stringContaining("(stage 'setup' added)")]);
  });
});

describe("one resumer at a time; a succeeded run is refused (issue 22.5)", () => {
  test("a second resume while the first runs is refused, also with --force; the stage runs once", async () => {
    const blocking = C("test", "if [ -f fail.flag ]; then exit 3; fi; touch started.$$; while [ ! -f go ]; do sleep 0.02; done");
    const { w, runId } = await failedRun([BUILD, blocking]);
    const { rmSync } = await import("node:fs");
    rmSync(join(w, "fail.flag"));
    const first = spawnCli(["resume", runId], { cwd: w });
    await waitFor(() => readdirSync(w).some((f) => f.startsWith("started.")));
    for (const extra of [[], ["--force"]]) {
      const second = await runCli(["resume", runId, ...extra], { cwd: w });
      expect(second.code).toBe(1);
      expect(second.stderr).toBe(`Run ${runId} is being resumed by another process (pid ${first.proc.pid}).\n`);
    }
    writeFileSync(join(w, "go"), "");
    expect(await first.proc.exited).toBe(0);
    expect(readdirSync(w).filter((f) => f.startsWith("started."))).toHaveLength(1);
    const m = manifestOf(w, runId);
    expect(m.status).toBe("succeeded");
    expect(m.resume_events).toHaveLength(1);
    expect(existsSync(join(runDirOf(w, runId), ".resume.lock"))).toBe(false);

    // Succeeded: nothing to resume; no reset, no metrics line, no notification.
    const bytes = readFileSync(join(runDirOf(w, runId), "manifest.json"), "utf8");
    const lines = metricsLines(w).length;
    const done = await runCli(["resume", runId], { cwd: w });
    expect([done.code, done.stderr]).toEqual([1, `Run ${runId} already succeeded; there is nothing to resume.\n`]);
    expect(readFileSync(join(runDirOf(w, runId), "manifest.json"), "utf8")).toBe(bytes);
    expect(metricsLines(w)).toHaveLength(lines);
  });

  test("a resume lock left by a killed resumer does not block the next one", async () => {
    const { w, runId } = await failedRun();
    writeFileSync(join(runDirOf(w, runId), ".resume.lock"), "999999999\n");
    const { rmSync } = await import("node:fs");
    rmSync(join(w, "fail.flag"));
    const r = await runCli(["resume", runId], { cwd: w });
    expect(r.code).toBe(0);
  });
});

/** The pid of the command a run is running, from its tool run record. */
async function runningRun(w: string): Promise<string> {
  return waitFor(() => {
    const [id] = runIds(w);
    if (id === undefined) return null;
    try {
      const m = manifestOf(w, id);
      return m.commands[0]?.status === "running" && existsSync(join(runDirOf(w, id), ".owner")) ? id : null;
    } catch {
      return null;
    }
  });
}

describe("runs are never left hanging (issue 22.6, 22.7)", () => {
  test("SIGHUP cancels exec like SIGTERM: exit 129, the run cancelled, its process group gone", async () => {
    const w = specWorkspace(null);
    const cli = spawnCli(["exec", "--", "sh", "-c", "echo $$ > child.pid; exec sleep 305"], { cwd: w });
    const runId = await runningRun(w);
    const child = await waitFor(() => existsSync(join(w, "child.pid")) && Number(readFileSync(join(w, "child.pid"), "utf8")));
    cli.proc.kill("SIGHUP");
    expect(await cli.proc.exited).toBe(129);
    const m = manifestOf(w, runId);
    expect([m.status, m.status_detail, m.commands[0]?.status]).toEqual(["cancelled", "cancelled:SIGHUP", "cancelled"]);
    expect(m.summary).toContain("Run cancelled by SIGHUP.");
    expect(groupExists(child)).toBe(false);
    expect(metricsLines(w).map((l) => l.status)).toEqual(["cancelled"]);
  });

  test("SIGHUP cancels start too", async () => {
    const w = specWorkspace(config([C("nap", "sleep 305"), C("after", "touch after.txt")]));
    const cli = spawnCli(["start", "p"], { cwd: w });
    const runId = await runningRun(w);
    cli.proc.kill("SIGHUP");
    expect(await cli.proc.exited).toBe(129);
    const m = manifestOf(w, runId);
    expect([m.status, m.status_detail]).toEqual(["cancelled", "cancelled:SIGHUP"]);
    expect(existsSync(join(w, "after.txt"))).toBe(false);
  });

  test("an exec run whose owner was killed: status --watch ends, cancel closes the record with the reason", async () => {
    const w = specWorkspace(null);
    const cli = spawnCli(["exec", "--", "sleep", "306"], { cwd: w });
    const runId = await runningRun(w);
    cli.proc.kill("SIGKILL");
    await cli.proc.exited;

    const watch = await runCli(["status", runId, "--watch", "--interval", "0.1"], { cwd: w, timeoutMs: 20_000 });
    expect(watch.code).toBe(1);
    expect(watch.stderr).toMatch(new RegExp(`^Run ${runId} is stale \\(last heartbeat \\d+s ago\\): its process is gone; close it with 'cancel ${runId}' or rerun it with 'resume ${runId}'\\.\\n$`));
    expect(watch.stdout).toContain("[stale]");

    const cancel = await runCli(["cancel", runId], { cwd: w });
    expect([cancel.code, cancel.stderr]).toEqual([0, ""]);
    expect(cancel.stdout).toBe(`Run cancelled: ${runId}\nStatus: cancelled (its process was gone; the record is closed)\n`);
    const m = manifestOf(w, runId);
    expect([m.status, m.status_detail, m.commands[0]?.status]).toEqual(["cancelled", "cancelled:abandoned", "cancelled"]);
    expect(m.completed_at).not.toBeNull();
    expect(m.summary).toMatch(/Run cancelled: its process had ended without finishing it \(pid \d+ is gone; last heartbeat \d+s ago\)\./);
    expect(m.metrics_recorded).toBe(true);
    expect(metricsLines(w).map((l) => [l.run_id, l.status])).toEqual([[runId, "cancelled"]]);
    const status = await runCli(["status", runId], { cwd: w });
    expect(status.stdout).toContain("Status: cancelled (cancelled:abandoned)");
    // Closed for good: a second cancel is "not active".
    const again = await runCli(["cancel", runId], { cwd: w });
    expect([again.code, again.stderr]).toEqual([1, `Run ${runId} is not active (status cancelled).\n`]);
  });

  test("an exec run whose owner was killed: resume runs its command again in the same run", async () => {
    const w = specWorkspace(null);
    const { mkdirSync } = await import("node:fs");
    mkdirSync(join(w, "sub"));
    const script = "echo ran >> runs.txt; if [ -f ../hang.flag ]; then sleep 311; fi; echo done";
    writeFileSync(join(w, "hang.flag"), "");
    const cli = spawnCli(["exec", "--cwd", "sub", "--timeout", "60", "--", "sh", "-c", script], { cwd: w });
    const runId = await runningRun(w);
    await waitFor(() => existsSync(join(w, "sub/runs.txt")));
    cli.proc.kill("SIGKILL");
    await cli.proc.exited;
    expect(manifestOf(w, runId).exec).toEqual({
      argv: ["sh", "-c", script],
      cwd: join(w, "sub"),
      tty: false,
      session: null,
      sandbox: null,
      timeout_seconds: 60,
      require_approval: false,
      output_schema: null,
    });
    const { rmSync } = await import("node:fs");
    rmSync(join(w, "hang.flag"));
    const r = await runCli(["resume", runId, "--actor", "bob"], { cwd: w });
    expect([r.code, r.stderr, r.stdout]).toEqual([0, "", `Run resumed: ${runId}\nStatus: succeeded\n`]);
    expect(readFileSync(join(w, "sub/runs.txt"), "utf8")).toBe("ran\nran\n");
    const m = manifestOf(w, runId);
    expect([m.status, m.status_detail, m.commands[0]?.status, m.commands[0]?.summary]).toEqual(["succeeded", null, "succeeded", "done"]);
    expect(m.resume_events).toEqual([{ actor: "bob", reason: "manual-resume", outcome: "accepted", timestamp: expect.any(String) }]);
    expect(metricsLines(w).map((l) => [l.run_id, l.status])).toEqual([[runId, "succeeded"]]);
    const summary = JSON.parse(readFileSync(join(runDirOf(w, runId), "run-summary.json"), "utf8"));
    expect([summary.type, summary.payload.status, summary.payload.outputs.stdout]).toEqual(["run:summary", "succeeded", "done\n"]);
    // An exec run made before the record existed says so.
    const old = JSON.parse(readFileSync(join(runDirOf(w, runId), "manifest.json"), "utf8"));
    delete old.exec;
    old.status = "failed";
    writeFileSync(join(runDirOf(w, runId), "manifest.json"), JSON.stringify(old, null, 2));
    const none = await runCli(["resume", runId], { cwd: w });
    expect([none.code, none.stderr]).toEqual([1, `Run ${runId} is an exec run recorded before exec runs could be resumed (no exec record); run the command again.\n`]);
  });

  test("a pipeline run whose owner was killed resumes without --force", async () => {
    const w = specWorkspace(config([C("nap", "if [ -f nap.flag ]; then sleep 307; fi; echo rested")]));
    writeFileSync(join(w, "nap.flag"), "");
    const cli = spawnCli(["start", "p"], { cwd: w });
    const runId = await runningRun(w);
    cli.proc.kill("SIGKILL");
    await cli.proc.exited;
    const { rmSync } = await import("node:fs");
    rmSync(join(w, "nap.flag"));
    const r = await runCli(["resume", runId], { cwd: w });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(manifestOf(w, runId).status).toBe("succeeded");
  });
});
