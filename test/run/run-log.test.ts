import { describe, expect, test } from "bun:test";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { loadInstructions } from "../../src/run/instructions.ts";
import { loadManifest, ManifestStore } from "../../src/run/manifest-store.ts";
import { runDir } from "../../src/run/paths.ts";
import { RunLog, bindRunStore, storeFaultLine, storeFaultText } from "../../src/run/run-log.ts";
import { useTempDirs } from "./fixtures/temp.ts";
import { reportTmpfsSkip, tmpfsProbe, useTmpfs } from "./fixtures/tmpfs.ts";

const mountTmpfs = useTmpfs();

const tempDir = useTempDirs();

describe("run logs", () => {
  test("each stage line goes to runner.ndjson and commands/NN-<slug>.ndjson as {...fields, timestamp, index}", async () => {
    const dir = tempDir();
    const log = new RunLog(dir, { clock: () => new Date("2025-01-01T00:00:00.000Z") });
    const one = log.stage(1, "echo-ok");
    expect(one.path).toBe(join(dir, "commands/01-echo-ok.ndjson"));
    await one.append({ type: "command:start", command: "echo ok" });
    await one.append({ type: "exec:chunk", stream: "stdout", data: "ok\n" }, new Date("2025-01-01T00:00:01.000Z"));
    await one.close();
    const two = log.stage(2, "Second Stage");
    await two.append({ type: "command:end", exit_code: 0, signal: null, duration_ms: 5 });
    await log.close();
    const runner = readFileSync(join(dir, "runner.ndjson"), "utf8");
    expect(runner.split("\n")).toEqual([
      '{"type":"command:start","command":"echo ok","timestamp":"2025-01-01T00:00:00.000Z","index":1}',
      '{"type":"exec:chunk","stream":"stdout","data":"ok\\n","timestamp":"2025-01-01T00:00:01.000Z","index":1}',
      '{"type":"command:end","exit_code":0,"signal":null,"duration_ms":5,"timestamp":"2025-01-01T00:00:00.000Z","index":2}',
      "",
    ]);
    const lines = runner.split("\n");
    expect(readFileSync(join(dir, "commands/01-echo-ok.ndjson"), "utf8")).toBe(`${lines[0]}\n${lines[1]}\n`);
    expect(readFileSync(join(dir, "commands/02-Second-Stage.ndjson"), "utf8")).toBe(`${lines[2]}\n`);
  });

  test("lines reach the disk without an explicit flush (readers of a running log see them)", async () => {
    const dir = tempDir();
    const log = new RunLog(dir);
    await log.stage(1, "s").append({ type: "command:start", command: "x" });
    const deadline = Date.now() + 5000;
    let text = "";
    while (Date.now() < deadline) {
      try {
        text = readFileSync(join(dir, "runner.ndjson"), "utf8");
      } catch {}
      if (text !== "") break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(text).toContain('"command:start"');
    await log.close();
  });

  test("a rerun appends to the existing stage file", async () => {
    const dir = tempDir();
    for (let i = 0; i < 2; i += 1) {
      const log = new RunLog(dir);
      await log.stage(1, "s").append({ type: "command:start", command: `run ${i}` });
      await log.close();
    }
    expect(readFileSync(join(dir, "commands/01-s.ndjson"), "utf8").trim().split("\n").length).toBe(2);
    expect(readFileSync(join(dir, "runner.ndjson"), "utf8").trim().split("\n").length).toBe(2);
  });

  test("50 MB of output in 8 KiB chunks: every byte logged, memory bounded", async () => {
    const dir = tempDir();
    const log = new RunLog(dir);
    const stage = log.stage(1, "exec");
    const data = "a".repeat(8192);
    const total = 50_000_000;
    const chunks = Math.ceil(total / 8192);
    Bun.gc(true);
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    for (let i = 1; i <= chunks; i += 1) {
      const piece = i === chunks ? data.slice(0, total - (chunks - 1) * 8192) : data;
      const fields = { correlation_id: "c", attempt: 1, stream: "stdout", sequence: i, bytes: piece.length, data: piece };
      const wait1 = stage.append({ type: "exec:chunk", ...fields });
      if (wait1) await wait1;
      const wait2 = stage.append({ type: "command:stdout", data: piece });
      if (wait2) await wait2;
      if (i % 500 === 0) rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }
    await log.close();
    // Generous: the buffers hold a few hundred KiB; 100 MiB would mean the whole output was kept.
    expect(rssPeak - rssBefore).toBeLessThan(100 * 1024 * 1024);
    const size = statSync(join(dir, "commands/01-exec.ndjson")).size;
    expect(size).toBe(statSync(join(dir, "runner.ndjson")).size);
    const text = readFileSync(join(dir, "commands/01-exec.ndjson"), "utf8");
    let bytes = 0;
    let lines = 0;
    for (const line of text.split("\n")) {
      if (line === "") continue;
      const parsed = JSON.parse(line) as { type: string; bytes?: number; index: number };
      if (parsed.type === "exec:chunk") bytes += parsed.bytes ?? 0;
      lines += 1;
    }
    expect(lines).toBe(chunks * 2);
    expect(bytes).toBe(total);
  }, 60_000);
});

/** Every line of a log file parses, and the file ends with a newline (or is empty). */
function expectWholeJsonLines(path: string): number {
  const text = readFileSync(path, "utf8");
  expect(text === "" || text.endsWith("\n")).toBe(true);
  const lines = text.split("\n").slice(0, -1);
  for (const line of lines) JSON.parse(line);
  return lines.length;
}

/** Fills what is left of the disk holding `path`, to the last block. */
function fillUp(path: string): void {
  const fd = openSync(path, "a");
  try {
    for (const size of [64 * 1024, 4096, 512, 1]) {
      for (;;) {
        try {
          writeSync(fd, new Uint8Array(size));
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** A new run's store and bound log under `runs` (the shape `exec`/`start` create). */
async function boundRun(repo: string, runs: string) {
  const roots = { repo, runs, out: join(repo, "out") };
  const store = await ManifestStore.create({
    roots,
    taskId: "t1",
    runId: "2025-11-04T02-45-12-345Z-abcdef01",
    taskSlug: null,
    parentRunId: null,
    pipelineId: "exec",
    pipelineTitle: "CLI Exec Command",
    approvalPolicy: null,
    status: "in_progress",
    stages: [{ id: "exec", title: "Execute flood", command: "flood", kind: "command" }],
    instructions: await loadInstructions(repo),
  });
  const log = new RunLog(runDir(roots, "t1", "2025-11-04T02-45-12-345Z-abcdef01"));
  bindRunStore(store, log);
  return { store, log };
}

/** Appends output lines until the log fails (the disk is full). */
async function flood(log: RunLog): Promise<void> {
  const stage = log.stage(1, "exec");
  const data = "a".repeat(4000);
  for (let i = 1; i < 10_000 && log.failure === null; i += 1) {
    const wait = stage.append({ type: "command:stdout", sequence: i, data });
    if (wait) await wait;
  }
}

describe("a run store that cannot be written (issue 10, B2)", () => {
  reportTmpfsSkip("run-log.test.ts");

  test("the error text names the file, without the syscall tail; the CLI line names the runs directory", () => {
    const write = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", syscall: "write" });
    expect(storeFaultText({ error: write, path: "/r/t1/cli/x/runner.ndjson" })).toBe("ENOSPC: no space left on device (/r/t1/cli/x/runner.ndjson)");
    const open = Object.assign(new Error("ENOSPC: no space left on device, open '/r/.m.tmp'"), { code: "ENOSPC", syscall: "open" });
    expect(storeFaultText({ error: open, path: "/r/m.json" })).toBe("ENOSPC: no space left on device (/r/m.json)");
    expect(storeFaultText({ error: new Error("odd, failure"), path: "/p" })).toBe("odd, failure (/p)");
    expect(storeFaultLine("/r", { error: write, path: "/r/x" })).toBe("Cannot write the run store under /r: ENOSPC: no space left on device (/r/x)");
  });

  test("the first failure stops every log file and tells the listeners once", async () => {
    const dir = tempDir();
    const log = new RunLog(dir);
    const stage = log.stage(1, "s");
    await stage.append({ type: "command:start", command: "x" });
    await log.flush();
    const told: string[] = [];
    log.onFailure((fault) => told.push(fault.path));
    log.fail(new Error("EIO"), join(dir, "runner.ndjson"));
    log.fail(new Error("second"), join(dir, "other"));
    expect(told).toEqual([join(dir, "runner.ndjson")]);
    expect(log.failure?.path).toBe(join(dir, "runner.ndjson"));
    expect(stage.append({ type: "dropped" })).toBeUndefined();
    expect(log.stage(2, "later").append({ type: "dropped" })).toBeUndefined();
    await log.close();
    expect(readFileSync(join(dir, "runner.ndjson"), "utf8").split("\n").length).toBe(2);
    expect(existsSync(join(dir, "commands/02-later.ndjson"))).toBe(false);
    // Once failed, warnings are quiet and failed writes are tolerated.
    const warned: string[] = [];
    log.quiet((line) => warned.push(line))("repeats the fault");
    expect(warned).toEqual([]);
    expect(await log.tolerate(Promise.reject(new Error("ENOSPC")))).toBeNull();
  });

  test("freeSpace cuts the biggest logs first, at line boundaries, until enough is freed", async () => {
    const dir = tempDir();
    const log = new RunLog(dir);
    const big = log.stage(1, "big");
    for (let i = 0; i < 200; i += 1) big.append({ type: "command:stdout", data: "b".repeat(1000) });
    await big.close();
    const small = log.stage(2, "small");
    await small.append({ type: "command:stdout", data: "s" });
    await log.flush();
    const before = statSync(join(dir, "runner.ndjson")).size;
    const cuts = await log.freeSpace(10_000);
    expect(cuts).toHaveLength(1);
    expect(cuts[0]?.path).toBe(join(dir, "runner.ndjson"));
    expect(cuts[0]?.from).toBe(before);
    expect(before - (cuts[0]?.to ?? 0)).toBeGreaterThanOrEqual(10_000);
    expect(statSync(join(dir, "runner.ndjson")).size).toBe(cuts[0]?.to as number);
    expectWholeJsonLines(join(dir, "runner.ndjson"));
    expect(statSync(join(dir, "commands/02-small.ndjson")).size).toBeGreaterThan(0);
    await log.close();
  });

  test.skipIf(tmpfsProbe !== null)("a log filling the disk: whole lines; the final save frees ≥ 64 KiB from the logs and is retried once", async () => {
    const repo = tempDir();
    const runs = join(mountTmpfs("256k"), "runs");
    const { store, log } = await boundRun(repo, runs);
    await flood(log);
    expect((log.failure?.error as { code?: string } | undefined)?.code).toBe("ENOSPC");
    const runner = join(log.runDir, "runner.ndjson");
    const commandLog = join(log.runDir, "commands/01-exec.ndjson");
    expect([runner, commandLog]).toContain(log.failure?.path as string);
    await log.close().catch(() => undefined);
    fillUp(join(runs, "filler"));
    const sizesBefore = [runner, commandLog].map((p) => statSync(p).size);
    // A final manifest bigger than before: the disk has no room for it.
    store.manifest.status = "failed";
    store.manifest.summary = `Execution error: ${"z".repeat(40_000)}`;
    await store.save();
    const saved = await loadManifest(store.files.manifest);
    expect(saved.status).toBe("failed");
    const notes = (saved.summary ?? "").split("\n").slice(1);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^Run log truncated to free disk space: (runner\.ndjson|commands\/01-exec\.ndjson) cut from \d+ to \d+ bytes/);
    const sizesAfter = [runner, commandLog].map((p) => statSync(p).size);
    const freed = sizesBefore.reduce((a, b) => a + b, 0) - sizesAfter.reduce((a, b) => a + b, 0);
    expect(freed).toBeGreaterThanOrEqual(64 * 1024 + 40_000);
    expectWholeJsonLines(runner);
    expectWholeJsonLines(commandLog);
    expect(readdirSync(log.runDir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  test.skipIf(tmpfsProbe !== null)("nothing to free: the save rejects, the old manifest stays whole, the fault names the manifest", async () => {
    const repo = tempDir();
    const disk = mountTmpfs("128k");
    const { store, log } = await boundRun(repo, join(disk, "runs"));
    fillUp(join(disk, "fill"));
    store.manifest.summary = "y".repeat(20_000);
    let rejected: unknown = null;
    await store.save().catch((error) => {
      rejected = error;
    });
    expect((rejected as { code?: string } | null)?.code).toBe("ENOSPC");
    expect(log.failure?.path).toBe(store.files.manifest);
    expect((await loadManifest(store.files.manifest)).status).toBe("in_progress");
    expect(readdirSync(log.runDir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  test("a store write that fails for another reason is the run's fault at once (no reclaim, no retry)", async () => {
    const repo = tempDir();
    const { store, log } = await boundRun(repo, join(repo, "runs"));
    writeFileSync(join(repo, "plain-file"), "");
    let calls = 0;
    const path = join(repo, "plain-file/x.json");
    await expect(
      store.withRoom(path, 10, () => {
        calls += 1;
        writeFileSync(path, "{}");
      }),
    ).rejects.toMatchObject({ code: "ENOTDIR" });
    expect(calls).toBe(1);
    expect(log.failure?.path).toBe(path);
  });
});
