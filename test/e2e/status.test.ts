import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, cliEnv, runCli, scratchDir } from "../helpers/cli.ts";
import { fakeEntry, fakeManifest } from "../pipeline/fixture.ts";

const RUN = "2025-11-04T02-45-12-345Z-abcdef01";
const P = "[Codex-Orchestrator] ";

function putRun(w: string, taskId: string, over: Record<string, unknown> = {}, heartbeat?: string): string {
  const dir = join(w, ".runs", taskId, "cli", RUN);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(fakeManifest(taskId, RUN, over), null, 2));
  if (heartbeat !== undefined) writeFileSync(join(dir, ".heartbeat"), `${heartbeat}\n`);
  return dir;
}

describe("status (SPEC §5.3)", () => {
  test("text form of a failed run, with a multi-line summary printed as is", async () => {
    const w = scratchDir();
    putRun(w, "t1", {
      status: "failed",
      status_detail: "stage:fail-once:failed",
      commands: [fakeEntry(1, "first", "succeeded", "first"), fakeEntry(2, "fail once", "failed", "Exited with code 3 — failing\nmore"), fakeEntry(3, "after", "pending", null)],
    });
    const r = await runCli(["status", RUN], { cwd: w });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")).toEqual([
      `${P}Run: ${RUN}`,
      `${P}Status: failed (stage:fail-once:failed)`,
      `${P}Started: 2025-11-04T02:45:12.345Z`,
      `${P}Completed: 2025-11-04T02:45:12.345Z`,
      expect.stringMatching(/^\[Codex-Orchestrator\] Activity: last heartbeat \d+s ago$/),
      `${P}Manifest: .runs/t1/cli/${RUN}/manifest.json`,
      `${P}Commands:`,
      `${P}  [succeeded] first — first`,
      `${P}  [failed] fail once — Exited with code 3 — failing`,
      "more",
      `${P}  [pending] after`,
      "",
    ]);
  });

  test("JSON form: exactly the 12 keys; stale in_progress run; lookup across tasks", async () => {
    const w = scratchDir();
    putRun(w, "t1", { status: "in_progress", completed_at: null, heartbeat_at: "2020-01-01T00:00:00.000Z" });
    const r = await runCli(["status", `--run=${RUN}`, "--format", "json"], { cwd: w, env: { MCP_RUNNER_TASK_ID: "other" } });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(["run_id", "status", "status_detail", "started_at", "completed_at", "manifest", "artifact_root", "log_path", "heartbeat_at", "commands", "child_runs", "activity"]);
    expect(doc.manifest).toBe(`.runs/t1/cli/${RUN}/manifest.json`);
    expect(doc.activity.stale).toBe(true);
    expect(doc.activity.age_seconds).toBeGreaterThan(30);
    const text = await runCli(["status", RUN], { cwd: w });
    expect(text.stdout).toContain("s ago [stale]\n");
    expect(text.stdout).toContain(`${P}Completed: in-progress\n`);
  });

  test("fresh heartbeat → [active]; no heartbeat → Activity: unknown", async () => {
    const w = scratchDir();
    putRun(w, "t1", { status: "in_progress", completed_at: null, heartbeat_at: null }, new Date().toISOString());
    const r = await runCli(["status", RUN], { cwd: w });
    expect(r.stdout).toMatch(/Activity: last heartbeat \ds ago \[active\]\n/);
    const w2 = scratchDir();
    putRun(w2, "t1", { heartbeat_at: null });
    expect((await runCli(["status", RUN], { cwd: w2 })).stdout).toContain(`${P}Activity: unknown\n`);
  });

  test("lookup errors (check 12)", async () => {
    const w = scratchDir();
    putRun(w, "t1");
    const other = await runCli(["status", RUN, "--task", "other"], { cwd: w });
    expect(other.code).toBe(2);
    expect(other.stderr).toStartWith(`Run '${RUN}' not found for task 'other'`);
    const missing = await runCli(["status", "2025-11-04T02-45-12-345Z-00000000"], { cwd: w });
    expect([missing.code, missing.stderr]).toEqual([2, `Run '2025-11-04T02-45-12-345Z-00000000' not found under ${join(w, ".runs")}.\n`]);
    const w2 = scratchDir();
    const bad = await runCli(["status", "--run", "../../etc"], { cwd: w2 });
    expect([bad.code, bad.stderr]).toEqual([2, 'Invalid run ID "../../etc": expected YYYY-MM-DDTHH-MM-SS-mmmZ-xxxxxxxx.\n']);
    expect(existsSync(join(w2, ".runs"))).toBe(false);
    const none = await runCli(["status"], { cwd: w });
    expect([none.code, none.stderr]).toEqual([2, "status requires --run <run-id>.\n"]);
    const interval = await runCli(["status", RUN, "--interval", "0"], { cwd: w });
    expect([interval.code, interval.stderr]).toEqual([2, "Invalid value for --interval: 0 (expected a positive number of seconds).\n"]);
    writeFileSync(join(w, ".runs/t1/cli", RUN, "manifest.json"), "{broken");
    const broken = await runCli(["status", RUN], { cwd: w });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toStartWith(`Invalid manifest ${join(w, ".runs/t1/cli", RUN, "manifest.json")}: `);
  });

  test("--watch repeats until the run ends", async () => {
    const w = scratchDir();
    // A live run: fresh heartbeat (a stale one ends the watch, issue 22.7).
    const dir = putRun(w, "t1", { status: "in_progress", completed_at: null, heartbeat_at: new Date().toISOString() });
    const proc = Bun.spawn([CLI, "status", RUN, "--watch", "--interval", "0.2", "--format", "json"], {
      cwd: w, env: cliEnv(), stdin: "ignore", stdout: "pipe", stderr: "pipe",
    });
    const killer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
    // Once a report of the live run is out, the run ends.
    const reader = proc.stdout.getReader();
    let out = "";
    while (!out.includes("in_progress")) {
      const { done, value } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(fakeManifest("t1", RUN, { status: "succeeded" })));
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    await proc.exited;
    clearTimeout(killer);
    expect(proc.exitCode).toBe(0);
    const reports = out.split(/\n(?=\{)/).map((s) => JSON.parse(s));
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(reports.at(-1).status).toBe("succeeded");
    expect(reports[0].status).toBe("in_progress");
  });
});
