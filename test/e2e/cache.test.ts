/**
 * Issue 18: the stage cache, through the compiled binary. That a hit runs no command is proven by a marker file
 * outside the cache and the workspace that every command appends to; outputs are compared byte for byte; the store
 * is inspected on disk (corrupted, truncated, filled by two runs at once, bounded).
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { jsonLines, runCli, scratchDir, spawnCli } from "../helpers/cli.ts";
import { manifestOf, runDirOf, runIds } from "../helpers/runs.ts";
import { workspace } from "../helpers/workspace.ts";

type Stage = Record<string, unknown>;
const C = (id: string, command: string, extra: Stage = {}): Stage => ({ kind: "command", id, title: id, command, ...extra });
const config = (stages: Stage[], extra: Stage = {}) => ({ pipelines: [{ id: "p", title: "P", stages, ...extra }] });

/** A workspace, its cache store and the marker file (outside both) that records every command that really ran. */
function setup(stages: (marker: string) => Stage[], files: Record<string, string | Uint8Array> = {}) {
  const outside = scratchDir("co-cache-out-");
  const marker = join(outside, "ran.log");
  const store = join(outside, "store");
  const w = workspace(config(stages(marker)));
  for (const [path, content] of Object.entries(files)) {
    const full = join(w, path);
    Bun.spawnSync(["mkdir", "-p", join(full, "..")]);
    writeFileSync(full, content);
  }
  const ran = () => (existsSync(marker) ? readFileSync(marker, "utf8").split("\n").filter((l) => l !== "") : []);
  const start = async (args: string[] = [], env: Record<string, string> = {}) => {
    const r = await runCli(["start", "p", ...args], { cwd: w, env: { CODEX_ORCHESTRATOR_CACHE_DIR: store, ...env } });
    const runId = runIds(w).at(-1) as string;
    return { ...r, runId, m: manifestOf(w, runId) };
  };
  return { w, marker, store, ran, start };
}

const entryDirs = (store: string): string[] => {
  const root = join(store, "entries");
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((p) => readdirSync(join(root, p)).map((h) => join(root, p, h)));
};

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

const status = (m: { commands: { id: string; status: string }[] }) => Object.fromEntries(m.commands.map((c) => [c.id, c.status]));
// biome-ignore lint/suspicious/noExplicitAny: the additive cache record is read from parsed JSON
const cacheOf = (m: { commands: unknown[] }, id: string): any => (m.commands as { id: string; cache?: unknown }[]).find((c) => c.id === id)?.cache;

describe("stage cache (issue 18)", () => {
  test("a second run with unchanged inputs runs no command, restores the outputs byte-identical and is recorded cached", async () => {
    // Output bytes that are not UTF-8, a file mode to keep, and stdout/stderr to replay.
    const binary = new Uint8Array([0, 255, 254, 10, 0xc3, 0x28, 65]);
    const { w, ran, start, store } = setup(
      (marker) => [
        C("build", `echo build >> ${marker}; mkdir -p out; cp src/data.bin out/data.bin; printf 'x\\n' > out/run.sh; chmod 750 out/run.sh; echo built; echo careful >&2`, {
          inputs: ["src/**"],
          outputs: ["out/**"],
        }),
      ],
      { "src/data.bin": binary },
    );
    const first = await start();
    expect(first.code).toBe(0);
    expect(ran()).toEqual(["build"]);
    expect(cacheOf(first.m, "build")).toMatchObject({ result: "miss", reason: "no entry", stored: true });
    const original = readFileSync(join(w, "out/data.bin"));
    Bun.spawnSync(["rm", "-rf", join(w, "out")]);

    const second = await start(["--format", "jsonl"]);
    expect(second.code).toBe(0);
    expect(ran()).toEqual(["build"]); // the command did not run again
    expect(new Uint8Array(readFileSync(join(w, "out/data.bin")))).toEqual(new Uint8Array(original));
    expect(new Uint8Array(readFileSync(join(w, "out/data.bin")))).toEqual(binary);
    expect(statSync(join(w, "out/run.sh")).mode & 0o777).toBe(0o750);
    expect(status(second.m)).toEqual({ build: "cached" });
    const record = cacheOf(second.m, "build");
    expect(record.result).toBe("hit");
    expect(record.key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(record.key).toBe(cacheOf(first.m, "build").key);
    expect(record.source_run_id).toBe(first.runId);
    expect(second.m.commands[0]?.exit_code).toBe(0);
    expect(second.m.toolRuns).toEqual([]); // nothing was invoked

    // The recorded output is replayed into the new run's command log and onto the event stream.
    const log = jsonLines(readFileSync(join(runDirOf(w, second.runId), "commands/01-build.ndjson"), "utf8"));
    expect(log.find((l) => l.type === "cache:hit")).toMatchObject({ key: record.key, source_run_id: first.runId });
    // Written by the run's recorder from the replayed events, like a live attempt's, each line once.
    const types = log.map((l) => l.type).filter((t) => t !== "exec:chunk");
    expect(types).toEqual(["command:start", "cache:hit", "exec:begin", "exec:end", "command:end"]);
    expect(log.filter((l) => l.type === "exec:begin" || l.type === "exec:end").map((l) => l.cached)).toEqual([true, true]);
    const text = (lines: Record<string, string>[], stream: string) =>
      lines.filter((l) => l.type === "exec:chunk" && l.stream === stream).map((l) => l.data).join("");
    const firstLog = jsonLines(readFileSync(join(runDirOf(w, first.runId), "commands/01-build.ndjson"), "utf8"));
    expect(text(log, "stdout")).toBe("built\n");
    expect(text(log, "stderr")).toBe(text(firstLog, "stderr"));
    const events = jsonLines(second.stdout);
    expect(events.filter((e) => e.type === "exec:chunk").map((e) => e.payload.data).join("")).toContain("built\n");
    expect(events.find((e) => e.type === "stage:end")?.payload.status).toBe("cached");
    expect(events.filter((e) => e.type === "exec:begin" || e.type === "exec:end").map((e) => e.payload.cached)).toEqual([true, true]);
    // The metrics line counts a cached stage as passed.
    const metrics = readFileSync(join(w, ".runs/t1/metrics.json"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(metrics.at(-1)?.commands_passed).toBe(1);
    expect(entryDirs(store)).toHaveLength(1);
  });

  test("changing one input's content misses exactly that stage and its dependants, with the reason; touching it does not", async () => {
    const { w, ran, start } = setup(
      (marker) => [
        C("a", `echo a >> ${marker}; mkdir -p out; cat src/a.txt > out/a`, { inputs: ["src/a.txt"], outputs: ["out/a"] }),
        C("b", `echo b >> ${marker}; cat out/a`, { inputs: ["src/b.txt"], needs: ["a"] }),
        C("c", `echo c >> ${marker}`, { inputs: ["src/c.txt"] }),
      ],
      { "src/a.txt": "one\n", "src/b.txt": "bee\n", "src/c.txt": "sea\n" },
    );
    expect((await start()).code).toBe(0);
    expect(ran().sort()).toEqual(["a", "b", "c"]);

    // A new mtime with the same content is no change.
    const later = new Date(Date.now() + 60_000);
    Bun.spawnSync(["touch", "-d", later.toISOString(), join(w, "src/a.txt")]);
    const touched = await start();
    expect(status(touched.m)).toEqual({ a: "cached", b: "cached", c: "cached" });
    expect(ran()).toHaveLength(3);

    writeFileSync(join(w, "src/a.txt"), "two\n");
    const changed = await start();
    expect(changed.code).toBe(0);
    expect(status(changed.m)).toEqual({ a: "succeeded", b: "succeeded", c: "cached" });
    expect(ran().slice(3).sort()).toEqual(["a", "b"]);
    expect(cacheOf(changed.m, "a").reason).toBe("input src/a.txt changed");
    expect(cacheOf(changed.m, "b").reason).toBe("dependency a changed");
    expect(readFileSync(join(w, "out/a"), "utf8")).toBe("two\n");

    // A new input file is named too.
    writeFileSync(join(w, "src/c.txt"), "sea\n");
    const explain = await runCli(["plan", "p", "--explain", "--format", "json"], { cwd: w, env: { CODEX_ORCHESTRATOR_CACHE_DIR: join(scratchDir("co-cache-"), "none") } });
    expect(explain.code).toBe(0);
    expect(JSON.parse(explain.stdout).cache.map((e: { result: string }) => e.result)).toEqual(["miss", "miss", "miss"]);
  });

  test("an env change misses with the variable's name; a secret value never reaches the store or the manifest", async () => {
    const secret = "s3cr3t-value-9f8e7d";
    const stages = (env: Record<string, string>) => (marker: string) => [
      C("deploy", `echo deploy >> ${marker}; echo "token is $DEPLOY_TOKEN, mode $MODE"`, { inputs: ["src/*"], env }),
    ];
    const { w, store, ran, start } = setup(stages({ DEPLOY_TOKEN: secret, MODE: "fast" }), { "src/x": "x\n" });
    const first = await start();
    expect(first.code).toBe(0);
    expect((await start()).m.commands[0]?.status).toBe("cached");

    const cfg = JSON.parse(readFileSync(join(w, "codex.orchestrator.json"), "utf8"));
    cfg.pipelines[0].stages[0].env.MODE = "slow";
    writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify(cfg));
    const modeChanged = await start();
    expect(modeChanged.m.commands[0]?.status).toBe("succeeded");
    expect(cacheOf(modeChanged.m, "deploy").reason).toBe("env MODE changed");

    cfg.pipelines[0].stages[0].env.DEPLOY_TOKEN = `${secret}-rotated`;
    writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify(cfg));
    const rotated = await start();
    expect(rotated.m.commands[0]?.status).toBe("succeeded");
    expect(cacheOf(rotated.m, "deploy").reason).toBe("env DEPLOY_TOKEN changed");
    expect(ran()).toHaveLength(3);

    // Neither the value nor its rotation appears in any file of the store or of the runs.
    const files = [...filesUnder(store), ...filesUnder(join(w, ".runs")), ...filesUnder(join(w, "out"))];
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) expect(readFileSync(file, "utf8")).not.toContain(secret);
    // The replayed output says *** where the command printed the value.
    const hit = await start();
    expect(hit.m.commands[0]?.status).toBe("cached");
    const log = readFileSync(join(runDirOf(w, hit.runId), "commands/01-deploy.ndjson"), "utf8");
    expect(log).toContain("token is ***, mode slow");
  });

  test("two runs filling the same key at once leave one valid entry, which a third run restores", async () => {
    // Each command waits until both runs are inside it, so both miss and both store.
    const { w, store, ran, start } = setup(
      (marker) => [
        C("gen", `echo gen >> ${marker}; touch "${marker}.here.$$"; i=0; while [ "$(ls ${marker}.here.* | wc -l)" -lt 2 ] && [ $i -lt 2000 ]; do i=$((i+1)); sleep 0.01; done; mkdir -p out; echo generated > out/g`, {
          inputs: ["src/*"],
          outputs: ["out/g"],
        }),
      ],
      { "src/x": "x\n" },
    );
    const env = { CODEX_ORCHESTRATOR_CACHE_DIR: store };
    const one = spawnCli(["start", "p"], { cwd: w, env });
    const two = spawnCli(["start", "p"], { cwd: w, env });
    expect([await one.proc.exited, await two.proc.exited]).toEqual([0, 0]);
    expect(ran()).toEqual(["gen", "gen"]);
    const records = runIds(w).map((id) => cacheOf(manifestOf(w, id), "gen"));
    expect(records.map((r) => r.stored).sort()).toEqual([false, true]);
    expect(records.find((r) => r.stored === false).reason).toContain("another run stored this key first");
    const entries = entryDirs(store);
    expect(entries).toHaveLength(1);
    expect(readdirSync(join(store, "tmp"))).toEqual([]); // the losing copy was removed
    const stats = await runCli(["cache", "stats", "--format", "json"], { cwd: w, env });
    expect(JSON.parse(stats.stdout)).toMatchObject({ entries: 1 });

    Bun.spawnSync(["rm", "-rf", join(w, "out")]);
    const third = await start();
    expect(third.m.commands[0]?.status).toBe("cached");
    expect(readFileSync(join(w, "out/g"), "utf8")).toBe("generated\n");
    expect(ran()).toHaveLength(2);
  });

  test("a corrupted or truncated entry is detected and treated as a miss, never restored", async () => {
    const { w, store, ran, start } = setup(
      (marker) => [C("gen", `echo gen >> ${marker}; mkdir -p out; echo "the real output" > out/g; echo said`, { inputs: ["src/*"], outputs: ["out/g"] })],
      { "src/x": "x\n" },
    );
    expect((await start()).code).toBe(0);
    const [entry] = entryDirs(store);
    // Same length, other bytes: only the checksum can tell.
    writeFileSync(join(entry as string, "files/0"), "the fake output\n");
    writeFileSync(join(w, "out/g"), "stale\n");
    const corrupted = await start();
    expect(corrupted.m.commands[0]?.status).toBe("succeeded");
    expect(cacheOf(corrupted.m, "gen").reason).toBe("entry corrupted (output out/g checksum mismatch); removed");
    expect(readFileSync(join(w, "out/g"), "utf8")).toBe("the real output\n");
    expect(ran()).toHaveLength(2);

    // The miss stored a fresh entry; truncating its log is a miss too.
    const [fresh] = entryDirs(store);
    truncateSync(join(fresh as string, "output.ndjson"), 3);
    const truncated = await start();
    expect(truncated.m.commands[0]?.status).toBe("succeeded");
    expect(cacheOf(truncated.m, "gen").reason).toMatch(/^entry corrupted \(output\.ndjson truncated or grown \(3 of \d+ bytes\)\); removed$/);

    // An entry.json that is not JSON at all.
    const [third] = entryDirs(store);
    writeFileSync(join(third as string, "entry.json"), "{ half");
    const garbled = await start();
    expect(garbled.m.commands[0]?.status).toBe("succeeded");
    expect(cacheOf(garbled.m, "gen").reason).toMatch(/^entry corrupted \(entry\.json is not JSON/);
    expect(ran()).toHaveLength(4);
    // And the entry stored after that is whole again.
    expect((await start()).m.commands[0]?.status).toBe("cached");
  });

  test("eviction keeps the store under its bound, least recently used first; cache prune --all empties it", async () => {
    const big = (id: string) => C(id, `head -c 4000 /dev/zero | tr '\\0' '${id}' > out-${id}`, { inputs: [`src/${id}`], outputs: [`out-${id}`] });
    const { w, store, start } = setup(() => ["a", "b", "c", "d", "e"].map(big), Object.fromEntries(["a", "b", "c", "d", "e"].map((id) => [`src/${id}`, id])));
    const env = { CODEX_ORCHESTRATOR_CACHE_MAX_BYTES: "10000" };
    const run = await start([], env);
    expect(run.code).toBe(0);
    const stats = JSON.parse((await runCli(["cache", "stats", "--format", "json"], { cwd: w, env: { ...env, CODEX_ORCHESTRATOR_CACHE_DIR: store } })).stdout);
    expect(stats.max_bytes).toBe(10000);
    expect(stats.bytes).toBeLessThanOrEqual(10000);
    expect(stats.entries).toBe(2);
    // What the entries hold on disk agrees with the bound (entry.json aside).
    const stored = filesUnder(join(store, "entries")).filter((f) => !f.endsWith("entry.json"));
    expect(stored.reduce((n, f) => n + statSync(f).size, 0)).toBeLessThanOrEqual(10000);
    // The newest two (d, e) stayed: they hit, the others miss.
    const again = await start([], env);
    expect(status(again.m)).toEqual({ a: "succeeded", b: "succeeded", c: "succeeded", d: "cached", e: "cached" });

    const pruned = await runCli(["cache", "prune", "--all", "--format", "json"], { cwd: w, env: { CODEX_ORCHESTRATOR_CACHE_DIR: store } });
    expect(pruned.code).toBe(0);
    expect(JSON.parse(pruned.stdout)).toMatchObject({ entries: 0, bytes: 0 });
    expect(entryDirs(store)).toEqual([]);
  });

  test("--fail-on-cache-miss fails a stage that would have to run, without running it; --no-cache runs everything", async () => {
    const { w, store, ran, start } = setup(
      (marker) => [C("a", `echo a >> ${marker}`, { inputs: ["src/*"] }), C("plain", `echo plain >> ${marker}`)],
      { "src/x": "x\n" },
    );
    const refused = await start(["--fail-on-cache-miss"]);
    expect(refused.code).toBe(1);
    expect(ran()).toEqual([]);
    expect(refused.m.status_detail).toBe("stage:a:cache-miss");
    expect(refused.m.commands[0]).toMatchObject({ status: "failed", summary: "Cache miss (--fail-on-cache-miss): no entry" });
    expect(refused.stdout).toContain("Failed stage: a: Cache miss (--fail-on-cache-miss): no entry");

    expect((await start()).code).toBe(0);
    const proven = await start(["--fail-on-cache-miss"]);
    expect(proven.code).toBe(0);
    expect(status(proven.m)).toEqual({ a: "cached", plain: "succeeded" }); // a stage without inputs is never cached

    const off = await start(["--no-cache"]);
    expect(off.code).toBe(0);
    expect(status(off.m)).toEqual({ a: "succeeded", plain: "succeeded" });
    expect(cacheOf(off.m, "a")).toMatchObject({ result: "off", key: null });
    expect(cacheOf(off.m, "plain")).toBeUndefined();
    expect(ran()).toEqual(["a", "plain", "plain", "a", "plain"]);
    expect(entryDirs(store)).toHaveLength(1);

    const both = await runCli(["start", "p", "--no-cache", "--fail-on-cache-miss"], { cwd: w });
    expect(both.code).toBe(2);
    expect(both.stderr.trim().split("\n")).toHaveLength(1);
  });

  test("plan --explain says hit, miss and why for every stage, and writes nothing", async () => {
    const { w, store, start } = setup(
      (marker) => [C("a", `echo a >> ${marker}`, { inputs: ["src/*"] }), C("plain", "true"), C("b", "true", { inputs: ["src/*"], needs: ["a"] })],
      { "src/x": "x\n" },
    );
    const env = { CODEX_ORCHESTRATOR_CACHE_DIR: store };
    const before = await runCli(["plan", "p", "--explain"], { cwd: w, env });
    expect(before.code).toBe(0);
    expect(before.stdout).toContain("miss      a: no entry");
    expect(before.stdout).toContain("uncached  plain: no inputs declared");
    expect(existsSync(store)).toBe(false);
    await start();
    writeFileSync(join(w, "src/y"), "new\n");
    const after = JSON.parse((await runCli(["plan", "p", "--explain", "--format", "json"], { cwd: w, env })).stdout);
    expect(after.cache).toEqual([
      { id: "a", result: "miss", key: expect.stringMatching(/^sha256:/), reason: "input src/y added", source_run_id: null },
      { id: "plain", result: "uncached", key: null, reason: "no inputs declared", source_run_id: null },
      { id: "b", result: "miss", key: expect.stringMatching(/^sha256:/), reason: "input src/y added; dependency a changed", source_run_id: null },
    ]);
    Bun.spawnSync(["rm", join(w, "src/y")]);
    const hit = JSON.parse((await runCli(["plan", "p", "--explain", "--format", "json"], { cwd: w, env })).stdout);
    expect(hit.cache[0]).toMatchObject({ result: "hit", source_run_id: runIds(w).at(-1) });
  });

  test("a failed stage stores nothing; a sub-pipeline's stage is cached in its child run; resume keeps cached stages", async () => {
    const outside = scratchDir("co-cache-out-");
    const marker = join(outside, "ran.log");
    const store = join(outside, "store");
    const w = workspace({
      pipelines: [
        {
          id: "p",
          title: "P",
          stages: [
            C("gen", `echo gen >> ${marker}`, { inputs: ["src/*"] }),
            { kind: "subpipeline", id: "child", title: "child", pipeline: "c" },
            C("flaky", `echo flaky >> ${marker}; test -f ok`, { inputs: ["src/*"] }),
          ],
        },
        { id: "c", title: "C", stages: [C("inner", `echo inner >> ${marker}`, { inputs: ["src/*"] })] },
      ],
    });
    writeFileSync(join(w, "AGENTS.md"), "# a\n");
    Bun.spawnSync(["mkdir", "-p", join(w, "src")]);
    writeFileSync(join(w, "src/x"), "x\n");
    const env = { CODEX_ORCHESTRATOR_CACHE_DIR: store };
    const ran = () => readFileSync(marker, "utf8").trim().split("\n");
    const first = await runCli(["start", "p"], { cwd: w, env });
    expect(first.code).toBe(1);
    const failedRun = runIds(w).find((id) => manifestOf(w, id).pipeline_id === "p") as string;
    const failed = manifestOf(w, failedRun);
    expect(status(failed)).toEqual({ gen: "succeeded", child: "succeeded", flaky: "failed" });
    expect(cacheOf(failed, "flaky")).toMatchObject({ result: "miss", reason: "no entry" });
    expect(cacheOf(failed, "flaky").stored).toBeUndefined();
    expect(entryDirs(store)).toHaveLength(2); // gen and the child's inner, not flaky
    expect(ran()).toEqual(["gen", "inner", "flaky"]);

    writeFileSync(join(w, "ok"), "");
    const resumed = await runCli(["resume", failedRun], { cwd: w, env });
    expect(resumed.code).toBe(0);
    expect(status(manifestOf(w, failedRun))).toEqual({ gen: "succeeded", child: "succeeded", flaky: "succeeded" });
    expect(ran()).toEqual(["gen", "inner", "flaky", "flaky"]);

    const again = await runCli(["start", "p"], { cwd: w, env });
    expect(again.code).toBe(0);
    const runs = runIds(w).map((id) => manifestOf(w, id));
    const top = runs.filter((m) => m.pipeline_id === "p").at(-1) as (typeof runs)[number];
    const child = runs.find((m) => m.run_id === top.commands[1]?.sub_run_id) as (typeof runs)[number];
    expect(status(top)).toEqual({ gen: "cached", child: "succeeded", flaky: "cached" });
    expect(status(child)).toEqual({ inner: "cached" });
    expect(ran()).toHaveLength(4);
  });

  test("cache settings the cache cannot honour are config errors", async () => {
    const cases: [Stage, string][] = [
      [C("a", "true", { outputs: ["out/*"] }), "/pipelines/0/stages/0/outputs: outputs need inputs (a stage without inputs is never cached)"],
      [C("a", "true", { inputs: ["../elsewhere/*"] }), "/pipelines/0/stages/0/inputs/0: expected a pattern that stays under the stage's cwd (no '..')"],
      [C("a", "true", { inputs: ["src/*"], session: { id: "s", persist: true } }), "/pipelines/0/stages/0/inputs: a stage in a live session cannot be cached"],
    ];
    for (const [stage, message] of cases) {
      const w = workspace(config([stage]));
      const r = await runCli(["start", "p"], { cwd: w });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
      expect(existsSync(join(w, ".runs"))).toBe(false);
    }
  });
});
