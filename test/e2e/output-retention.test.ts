/**
 * Issue 22.12: one copy of the output on disk, a per-run cap with a marker, `runs list`, `runs prune`, `status
 * --latest`. Through the compiled binary.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, spawnCli } from "../helpers/cli.ts";
import { specWorkspace } from "../pipeline/fixture.ts";
import { manifestOf, runDirOf, runIds } from "../helpers/runs.ts";
import { waitFor } from "../helpers/wait.ts";

const lines = (text: string) => text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
const logBytes = (dir: string) =>
  statSync(join(dir, "runner.ndjson")).size + readdirSync(join(dir, "commands")).reduce((n, f) => n + statSync(join(dir, "commands", f)).size, 0);
/** 3 MB of printable output. */
const BIG = ["sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' a"];

describe("one copy of the output, bounded (issue 22.12)", () => {
  test("3 MB of stdout leaves about 3 MB of logs, not four copies", async () => {
    const w = specWorkspace(null);
    const r = await runCli(["exec", "--json", "compact", "--", ...BIG], { cwd: w });
    expect(r.code).toBe(0);
    const runId = JSON.parse(r.stdout).payload.runId as string;
    const dir = runDirOf(w, runId);
    expect(logBytes(dir)).toBeLessThan(3_000_000 * 1.1);
    const chunks = lines(readFileSync(join(dir, "commands/01-exec.ndjson"), "utf8")).filter((l) => l.type === "exec:chunk");
    expect(chunks.reduce((n, c) => n + c.bytes, 0)).toBe(3_000_000);
    expect(chunks.map((c) => c.data).join("")).toBe("a".repeat(3_000_000));
    expect(readFileSync(join(dir, "runner.ndjson"), "utf8")).not.toContain('"exec:chunk"');
  });

  test("--max-output-bytes: the logs stop at the cap with a marker and a summary line; the stream keeps every chunk", async () => {
    const w = specWorkspace(null);
    const r = await runCli(["exec", "--jsonl", "--max-output-bytes", "100KiB", "--", ...BIG], { cwd: w });
    expect(r.code).toBe(0);
    const events = lines(r.stdout);
    expect(events.filter((e) => e.type === "exec:chunk").reduce((n, e) => n + e.payload.bytes, 0)).toBe(3_000_000);
    const summary = events.at(-1);
    const runId = summary.payload.runId as string;
    const logged = lines(readFileSync(join(runDirOf(w, runId), "commands/01-exec.ndjson"), "utf8"));
    const chunkBytes = logged.filter((l) => l.type === "exec:chunk").reduce((n, l) => n + l.bytes, 0);
    expect(chunkBytes).toBeLessThanOrEqual(102_400);
    expect(chunkBytes).toBeGreaterThan(50_000);
    const marker = logged.filter((l) => l.type === "output:truncated");
    expect(marker).toEqual([expect.objectContaining({ stream: "stdout", limit_bytes: 102_400 })]);
    expect(logged.at(-1).type).toBe("command:end"); // the log goes on after the marker
    const m = manifestOf(w, runId);
    expect(m.summary).toContain(`Output over the 102400-byte log limit (--max-output-bytes) was not recorded: ${3_000_000 - chunkBytes} bytes dropped.`);
    expect(m.status).toBe("succeeded");
  });

  test("the cap from the environment and the config; bad values are one line, exit 2, nothing written", async () => {
    const w = specWorkspace({ maxOutputBytes: "64KiB", pipelines: [{ id: "p", title: "P", stages: [{ kind: "command", id: "big", title: "big", command: "head -c 300000 /dev/zero | tr '\\0' b" }] }] });
    expect((await runCli(["start", "p"], { cwd: w })).code).toBe(0);
    const [runId] = runIds(w) as [string];
    expect(manifestOf(w, runId).summary).toContain("Output over the 65536-byte log limit");
    const env = await runCli(["exec", "--json", "compact", "--", ...BIG], { cwd: w, env: { CODEX_ORCHESTRATOR_MAX_OUTPUT_BYTES: "1MB" } });
    expect(JSON.parse(env.stdout).payload.run.summary).toContain("Output over the 1000000-byte log limit");

    const bad = specWorkspace(null);
    for (const [args, env, line] of [
      [["exec", "--max-output-bytes", "12xyz", "--", "true"], {}, "Invalid value for --max-output-bytes: 12xyz (expected a positive byte count such as 1048576, 64MiB or 2GB).\n"],
      [["exec", "--", "true"], { CODEX_ORCHESTRATOR_MAX_OUTPUT_BYTES: "-5" }, "Invalid value for CODEX_ORCHESTRATOR_MAX_OUTPUT_BYTES: -5 (expected a positive byte count such as 1048576, 64MiB or 2GB).\n"],
      [["start", "diagnostics", "--max-output-bytes", "0"], {}, "Invalid value for --max-output-bytes: 0 (expected a positive byte count such as 1048576, 64MiB or 2GB).\n"],
    ] as [string[], Record<string, string>, string][]) {
      const r = await runCli(args, { cwd: bad, env });
      expect([r.code, r.stderr]).toEqual([2, line]);
    }
    expect(existsSync(join(bad, ".runs"))).toBe(false);
    writeFileSync(join(bad, "codex.orchestrator.json"), JSON.stringify({ maxOutputBytes: "lots" }));
    const cfg = await runCli(["exec", "--", "true"], { cwd: bad });
    expect(cfg.code).toBe(2);
    expect(cfg.stderr).toBe(`Invalid config ${join(bad, "codex.orchestrator.json")}: /maxOutputBytes: expected a positive byte count such as 1048576, 64MiB or 2GB\n`);
  });
});

describe("runs list, runs prune, status --latest (issue 22.12)", () => {
  async function threeRuns(w: string): Promise<string[]> {
    for (const cmd of [["true"], ["false"], ["true"]]) await runCli(["exec", "--json", "compact", "--", ...cmd], { cwd: w });
    return runIds(w);
  }

  test("list shows every run, newest last, in text and JSON; status --latest picks the newest top-level run", async () => {
    const w = specWorkspace();
    const ids = await threeRuns(w);
    expect((await runCli(["start", "parent"], { cwd: w })).code).toBe(0);
    const all = runIds(w);
    const parent = all.find((id) => manifestOf(w, id).pipeline_id === "parent") as string;
    const child = all.find((id) => manifestOf(w, id).pipeline_id === "simple") as string;

    const text = await runCli(["runs", "list"], { cwd: w });
    expect(text.code).toBe(0);
    const rows = text.stdout.trimEnd().split("\n");
    expect(rows[0]).toMatch(/^RUN\s+TASK\s+PIPELINE\s+STATUS\s+STARTED\s+DURATION$/);
    expect(rows.slice(1).map((r) => r.split(/\s+/)[0])).toEqual(all);
    expect(rows.find((r) => r.startsWith(ids[1] as string))).toMatch(/\bexec\s+failed\b/);
    expect(rows.find((r) => r.startsWith(child))).toContain("simple (child)");

    const json = JSON.parse((await runCli(["runs", "list", "--format", "json", "--task", "t1"], { cwd: w })).stdout);
    expect(json.map((r: { run_id: string }) => r.run_id)).toEqual(all);
    expect(json.find((r: { run_id: string }) => r.run_id === child)).toMatchObject({ child: true, pipeline_id: "simple", status: "succeeded" });

    const latest = await runCli(["status", "--latest"], { cwd: w });
    expect(latest.code).toBe(0);
    expect(latest.stdout).toContain(`Run: ${parent}`); // not its child, created after it
    const none = await runCli(["status", "--latest", "--task", "t9"], { cwd: w });
    expect([none.code, none.stderr]).toEqual([2, `No runs for task 't9' under ${join(w, ".runs")}.\n`]);
    const both = await runCli(["status", "--latest", parent], { cwd: w });
    expect([both.code, both.stderr]).toEqual([2, "status takes a run id or --latest, not both.\n"]);
    expect((await runCli(["runs", "list"], { cwd: specWorkspace() })).stdout).toStartWith("No runs under ");
  });

  test("prune --keep removes the oldest finished runs with their children, never an active run", async () => {
    const w = specWorkspace({ pipelines: [{ id: "nap", title: "Nap", stages: [{ kind: "command", id: "z", title: "z", command: "touch napping; sleep 308" }] }, { id: "p", title: "P", stages: [{ kind: "subpipeline", id: "c", title: "c", pipeline: "q" }] }, { id: "q", title: "Q", stages: [{ kind: "command", id: "x", title: "x", command: "true" }] }] });
    await runCli(["start", "p"], { cwd: w }); // parent + child, the oldest
    const ids = await threeRuns(w);
    const [pParent, pChild] = ids.slice(0, 2) as [string, string];
    const active = spawnCli(["start", "nap"], { cwd: w });
    await waitFor(() => existsSync(join(w, "napping")));
    const activeId = runIds(w).at(-1) as string;

    const dry = await runCli(["runs", "prune", "--keep", "0", "--dry-run"], { cwd: w });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`Would remove t1/${pParent} (+1 child runs)`);
    expect(dry.stdout).toContain(`Kept t1/${activeId}: active`);
    expect(runIds(w)).toHaveLength(6);

    const r = await runCli(["runs", "prune", "--keep", "0"], { cwd: w });
    expect(r.code).toBe(0);
    expect(runIds(w)).toEqual([activeId]);
    expect(r.stdout).toMatch(/Removed 4 runs, [\d.]+ MiB freed\.\n$/);
    expect(existsSync(runDirOf(w, pChild))).toBe(false);
    active.proc.kill("SIGTERM");
    expect(await active.proc.exited).toBe(143);
  });

  test("prune --older-than and bad input", async () => {
    const w = specWorkspace(null);
    const [first, ...rest] = await threeRuns(w);
    const path = join(runDirOf(w, first as string), "manifest.json");
    const m = JSON.parse(readFileSync(path, "utf8"));
    m.started_at = new Date(Date.now() - 10 * 86_400_000).toISOString();
    writeFileSync(path, JSON.stringify(m, null, 2));
    const r = await runCli(["runs", "prune", "--older-than", "7d"], { cwd: w });
    expect(r.code).toBe(0);
    expect(runIds(w)).toEqual(rest);
    for (const [args, line] of [
      [["runs", "prune"], "runs prune requires --keep <n> or --older-than <age>.\n"],
      [["runs", "prune", "--older-than", "7"], "Invalid value for --older-than: 7 (expected an age such as 30m, 12h, 7d or 2w).\n"],
      [["runs", "prune", "--keep", "-1"], "Invalid value for --keep: -1 (expected a whole number of runs, 0 or more).\n"],
      [["runs", "frobnicate"], "Unknown runs subcommand: frobnicate (expected list or prune).\n"],
    ] as [string[], string][]) {
      const bad = await runCli(args, { cwd: w });
      expect([bad.code, bad.stderr]).toEqual([2, line]);
    }
    expect(runIds(w)).toEqual(rest);
  });
});
