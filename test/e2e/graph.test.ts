/**
 * Issue 17: pipelines as a graph — `needs`, `parallel`, `--concurrency`, fail-fast and `--keep-going`, resume, the
 * records of concurrent stages, `plan`. Through the compiled binary; concurrency is proven by stages that wait for
 * each other (a barrier) and by the manifest's timestamps, never by how long a run took.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, spawnCli } from "../helpers/cli.ts";
import { groupExists } from "../helpers/processes.ts";
import { specWorkspace } from "../pipeline/fixture.ts";
import { manifestOf, runDirOf, runIds } from "../helpers/runs.ts";
import { waitFor } from "../helpers/wait.ts";

type Stage = Record<string, unknown>;
const C = (id: string, command: string, extra: Stage = {}): Stage => ({ kind: "command", id, title: id, command, ...extra });
const pipelineConfig = (stages: Stage[], extra: Stage = {}) => ({ pipelines: [{ id: "g", title: "Graph", stages, ...extra }] });
const ms = (iso: string | null) => Date.parse(iso as string);
/** Waits (at most 20 s) until every one of `names` exists in the cwd: only stages running together get past it. */
const barrier = (self: string, names: string[]) =>
  `(touch ${self}.here; i=0; while [ $i -lt 2000 ]; do ok=1; for f in ${names.map((n) => `${n}.here`).join(" ")}; do [ -f $f ] || ok=0; done; [ $ok = 1 ] && exit 0; i=$((i+1)); sleep 0.01; done; exit 9)`;

async function start(w: string, args: string[] = [], env: Record<string, string> = {}) {
  const r = await runCli(["start", "g", ...args], { cwd: w, env });
  const runId = runIds(w).at(-1) as string;
  return { ...r, runId, m: manifestOf(w, runId) };
}

describe("parallel stages (issue 17)", () => {
  test("four independent stages run at once; a fifth that needs them starts after all four ended", async () => {
    const four = ["a", "b", "c", "d"];
    const w = specWorkspace(pipelineConfig([...four.map((id) => C(id, barrier(id, four))), C("e", "echo joined", { needs: four })]));
    const { code, m, runId } = await start(w, ["--concurrency", "4"]);
    expect(code).toBe(0);
    expect(m.commands.map((c) => [c.id, c.status, c.needs])).toEqual([
      ["a", "succeeded", []],
      ["b", "succeeded", []],
      ["c", "succeeded", []],
      ["d", "succeeded", []],
      ["e", "succeeded", four],
    ]);
    const [a, b, c, d, e] = m.commands;
    const lastEnd = Math.max(...[a, b, c, d].map((x) => ms(x?.completed_at ?? null)));
    const firstEnd = Math.min(...[a, b, c, d].map((x) => ms(x?.completed_at ?? null)));
    for (const x of [a, b, c, d]) expect(ms(x?.started_at ?? null)).toBeLessThanOrEqual(firstEnd);
    expect(ms(e?.started_at ?? null)).toBeGreaterThanOrEqual(lastEnd);
    // The timeline runner.ndjson interleaves the stages: each line says which stage (index) it is.
    const lines = readFileSync(join(runDirOf(w, runId), "runner.ndjson"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(new Set(lines.filter((l) => l.type === "command:start").map((l) => l.index))).toEqual(new Set([1, 2, 3, 4, 5]));
  });

  test("four `sleep 1` stages overlap; concurrency 1 runs them strictly in order", async () => {
    const stages = [C("a", "sleep 1"), C("b", "sleep 1"), C("c", "sleep 1"), C("d", "sleep 1"), C("e", "true", { needs: ["a", "b", "c", "d"] })];
    const w = specWorkspace(pipelineConfig(stages));
    const wide = await start(w, ["--concurrency", "4"]);
    const starts = wide.m.commands.slice(0, 4).map((c) => ms(c.started_at));
    const ends = wide.m.commands.slice(0, 4).map((c) => ms(c.completed_at));
    expect(Math.max(...starts)).toBeLessThan(Math.min(...ends)); // all four were running together

    const narrow = await start(w, [], { CODEX_ORCHESTRATOR_CONCURRENCY: "1" });
    expect(narrow.code).toBe(0);
    const c = narrow.m.commands;
    for (let i = 1; i < c.length; i += 1) expect(ms(c[i]?.started_at ?? null)).toBeGreaterThanOrEqual(ms(c[i - 1]?.completed_at ?? null));
  }, 30_000);

  test("`parallel: true` without needs; a pipeline without either stays sequential", async () => {
    const names = ["x", "y"];
    const w = specWorkspace(pipelineConfig(names.map((id) => C(id, barrier(id, names))), { parallel: true }));
    expect((await start(w)).code).toBe(0);
    const seq = specWorkspace(pipelineConfig([C("one", "echo 1"), C("two", "echo 2")]));
    const { m } = await start(seq);
    expect(m.commands.map((c) => c.needs)).toEqual([[], ["one"]]);
  });

  test("32 tiny stages at concurrency 8 leave a valid manifest with 32 entries", async () => {
    const stages = Array.from({ length: 32 }, (_, i) => C(`s${i}`, `echo ${i}`, { needs: i < 8 ? [] : [`s${i - 8}`] }));
    const w = specWorkspace(pipelineConfig(stages));
    const { code, m, runId } = await start(w, ["--concurrency", "8"]);
    expect(code).toBe(0);
    expect(m.commands).toHaveLength(32);
    expect(m.commands.every((c) => c.status === "succeeded" && c.summary === c.id.slice(1))).toBe(true);
    expect(m.toolRuns).toHaveLength(32);
    const summary = JSON.parse(readFileSync(join(runDirOf(w, runId), "run-summary.json"), "utf8"));
    expect(summary.build.notes.split("\n")).toEqual(stages.map((s) => `${s.id}: ${(s.id as string).slice(1)}`));
  });

  test("events of concurrent stages carry their stage id", async () => {
    const names = ["p", "q"];
    const w = specWorkspace(pipelineConfig(names.map((id) => C(id, `${barrier(id, names)} && echo out-${id}`)), { parallel: true }));
    const r = await runCli(["start", "g", "--format", "jsonl"], { cwd: w });
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const chunks = events.filter((e) => e.type === "exec:chunk");
    expect(chunks.map((e) => [e.payload.stageId, e.payload.data]).sort()).toEqual([
      ["p", "out-p\n"],
      ["q", "out-q\n"],
    ]);
    for (const type of ["exec:begin", "exec:end"]) {
      expect(events.filter((e) => e.type === type).map((e) => e.payload.stageId).sort()).toEqual(["p", "q"]);
    }
  });
});

describe("failures in a graph (issue 17)", () => {
  const failing = (w: string) => `while [ ! -f ${w}/slow.pid ]; do sleep 0.01; done; exit 5`;
  const slow = (w: string) => `echo $$ > ${w}/slow.pid; exec sleep 309`;

  test("fail-fast: the failed stage cancels its running sibling (process group gone) and skips the rest", async () => {
    const w = specWorkspace(null);
    writeFileSync(
      join(w, "codex.orchestrator.json"),
      JSON.stringify(pipelineConfig([C("boom", failing(w)), C("slow", slow(w)), C("after", "touch after.txt", { needs: ["slow"] }), C("other", "true", { needs: ["boom"] })])),
    );
    const { code, m } = await start(w);
    expect(code).toBe(1);
    expect(m.commands.map((c) => [c.id, c.status, c.skipped_because ?? null])).toEqual([
      ["boom", "failed", null],
      ["slow", "cancelled", null],
      ["after", "skipped", "boom"],
      ["other", "skipped", "boom"],
    ]);
    expect(m.commands[1]?.exit_code).toBe(143);
    expect(m.status).toBe("failed");
    expect(m.status_detail).toBe("stage:boom:failed");
    expect(m.commands[2]?.summary).toBe("Skipped: stage 'boom' failed");
    expect(groupExists(Number(readFileSync(join(w, "slow.pid"), "utf8")))).toBe(false);
    expect(existsSync(join(w, "after.txt"))).toBe(false);
  });

  test("--keep-going: independent branches finish, dependants of the failure are skipped; resume reruns what did not succeed", async () => {
    const w = specWorkspace(
      pipelineConfig([
        C("boom", "if [ -f fail.flag ]; then exit 5; fi; echo fixed"),
        C("left", "echo left >> left.txt"),
        C("needs-boom", "echo nb", { needs: ["boom"] }),
        C("needs-left", "echo nl >> nl.txt", { needs: ["left"] }),
      ]),
    );
    writeFileSync(join(w, "fail.flag"), "");
    const { code, m, runId } = await start(w, ["--keep-going"]);
    expect(code).toBe(1);
    expect(m.commands.map((c) => [c.id, c.status])).toEqual([
      ["boom", "failed"],
      ["left", "succeeded"],
      ["needs-boom", "skipped"],
      ["needs-left", "succeeded"],
    ]);
    expect(m.commands[2]?.skipped_because).toBe("boom");

    const { rmSync } = await import("node:fs");
    rmSync(join(w, "fail.flag"));
    const r = await runCli(["resume", runId], { cwd: w });
    expect(r.code).toBe(0);
    const after = manifestOf(w, runId);
    expect(after.commands.map((c) => [c.id, c.status, c.skipped_because ?? null])).toEqual([
      ["boom", "succeeded", null],
      ["left", "succeeded", null],
      ["needs-boom", "succeeded", null],
      ["needs-left", "succeeded", null],
    ]);
    // Kept stages were not rerun.
    expect(readFileSync(join(w, "left.txt"), "utf8")).toBe("left\n");
    expect(readFileSync(join(w, "nl.txt"), "utf8")).toBe("nl\n");
    expect(ms(after.commands[2]?.started_at ?? null)).toBeGreaterThanOrEqual(ms(after.commands[0]?.completed_at ?? null));
  });

  test("resume after kill -9 mid-graph finishes the interrupted and the waiting stages", async () => {
    const w = specWorkspace(
      pipelineConfig([
        C("quick", "echo q >> quick.txt"),
        C("nap", "if [ -f nap.flag ]; then touch napping; sleep 310; fi; echo rested"),
        C("last", "echo last", { needs: ["nap", "quick"] }),
      ]),
    );
    writeFileSync(join(w, "nap.flag"), "");
    const cli = spawnCli(["start", "g"], { cwd: w });
    await waitFor(() => existsSync(join(w, "napping")));
    const runId = runIds(w).at(-1) as string;
    await waitFor(() => manifestOf(w, runId).commands[0]?.status === "succeeded");
    cli.proc.kill("SIGKILL");
    await cli.proc.exited;
    const { rmSync } = await import("node:fs");
    rmSync(join(w, "nap.flag"));
    const r = await runCli(["resume", runId], { cwd: w });
    expect(r.code).toBe(0);
    const m = manifestOf(w, runId);
    expect(m.commands.map((c) => c.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(readFileSync(join(w, "quick.txt"), "utf8")).toBe("q\n");
  });
});

describe("graph config and plan (issue 17)", () => {
  test("unknown needs, self-references and cycles are config errors naming file, pointer and cycle", async () => {
    const cases: [Stage[], string][] = [
      [[C("a", "true", { needs: ["nope"] })], '/pipelines/0/stages/0/needs/0: unknown stage id "nope" (expected the id of a stage of this pipeline)'],
      [[C("a", "true", { needs: ["a"] })], '/pipelines/0/stages/0/needs/0: stage "a" needs itself'],
      [[C("a", "true", { needs: ["c"] }), C("b", "true", { needs: ["a"] }), C("c", "true", { needs: ["b"] })], "/pipelines/0/stages/1/needs/0: needs cycle a → c → b → a"],
      [[C("a", "true", { needs: "b" })], "/pipelines/0/stages/0/needs: expected an array of stage ids"],
    ];
    for (const [stages, problem] of cases) {
      const w = specWorkspace(pipelineConfig(stages));
      const r = await runCli(["start", "g"], { cwd: w });
      expect([r.code, r.stderr]).toEqual([2, `Invalid config ${join(w, "codex.orchestrator.json")}: ${problem}\n`]);
      expect(existsSync(join(w, ".runs"))).toBe(false);
    }
    const bad = specWorkspace(pipelineConfig([C("a", "true")]));
    for (const [args, env, line] of [
      [["--concurrency", "0"], {}, "Invalid value for --concurrency: 0 (expected a positive whole number of stages).\n"],
      [[], { CODEX_ORCHESTRATOR_CONCURRENCY: "two" }, "Invalid value for CODEX_ORCHESTRATOR_CONCURRENCY: two (expected a positive whole number of stages).\n"],
    ] as [string[], Record<string, string>, string][]) {
      const r = await runCli(["start", "g", ...args], { cwd: bad, env });
      expect([r.code, r.stderr]).toEqual([2, line]);
    }
  });

  test("plan shows the graph: levels in text, nodes and edges in JSON", async () => {
    const w = specWorkspace(pipelineConfig([C("build", "true"), C("lint", "true"), C("test", "true", { needs: ["build"] }), C("ship", "true", { needs: ["test", "lint"] })]));
    const text = await runCli(["plan", "g"], { cwd: w });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      [
        "Graph: 3 levels (stages of a level can run in parallel)",
        "  1. build, lint",
        "  2. test",
        "  3. ship",
        "  test needs build",
        "  ship needs test, lint",
      ].join("\n"),
    );
    const doc = JSON.parse((await runCli(["plan", "g", "--format", "json"], { cwd: w })).stdout);
    expect(doc.graph).toEqual({
      mode: "parallel",
      levels: [["build", "lint"], ["test"], ["ship"]],
      nodes: [
        { id: "build", needs: [] },
        { id: "lint", needs: [] },
        { id: "test", needs: ["build"] },
        { id: "ship", needs: ["test", "lint"] },
      ],
      edges: [
        { from: "build", to: "test" },
        { from: "test", to: "ship" },
        { from: "lint", to: "ship" },
      ],
    });
  });

  test("two stages of one live session never run at the same time", async () => {
    const s = { id: "shared", persist: true };
    const w = specWorkspace(pipelineConfig([C("one", "echo one", { session: s }), C("two", "echo two", { session: s })], { parallel: true }));
    const { code, m } = await start(w, ["--concurrency", "4"]);
    expect(code).toBe(0);
    const [one, two] = m.commands;
    const [first, second] = ms(one?.started_at ?? null) <= ms(two?.started_at ?? null) ? [one, two] : [two, one];
    expect(ms(second?.started_at ?? null)).toBeGreaterThanOrEqual(ms(first?.completed_at ?? null));
  });
});
