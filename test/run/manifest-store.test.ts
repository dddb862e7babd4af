import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { RunFailedError } from "../../src/core/errors.ts";
import { Manifest } from "../../src/core/schemas/manifest.ts";
import { loadInstructions } from "../../src/run/instructions.ts";
import { COMMAND_KEYS, MANIFEST_KEYS } from "../../src/run/manifest-order.ts";
import { type CreateManifestInput, loadManifest, ManifestStore } from "../../src/run/manifest-store.ts";
import { useTempDirs } from "./fixtures/temp.ts";

const tempDir = useTempDirs();
const RUN = "2025-11-04T02-45-12-345Z-abcdef01";

async function input(repo: string, overrides: Partial<CreateManifestInput> = {}): Promise<CreateManifestInput> {
  return {
    roots: { repo, runs: join(repo, ".runs"), out: join(repo, "out") },
    taskId: "t1",
    runId: RUN,
    taskSlug: "t1",
    parentRunId: null,
    pipelineId: "simple",
    pipelineTitle: "Simple pipeline",
    approvalPolicy: null,
    status: "queued",
    stages: [
      { id: "echo-ok", title: "emit ok", command: "echo ok", kind: "command" },
      { id: "child", title: "child", command: null, kind: "subpipeline" },
    ],
    instructions: await loadInstructions(repo),
    ...overrides,
  };
}

function clock(start: string) {
  let t = Date.parse(start);
  return () => {
    t += 1000;
    return new Date(t);
  };
}

describe("manifest creation", () => {
  test("§8.1 fields, in order, valid against the Manifest schema; token, errors/ and .resume-token", async () => {
    const repo = tempDir();
    writeFileSync(join(repo, "AGENTS.md"), "# Root\nBe kind.\n");
    const store = await ManifestStore.create(await input(repo), {
      now: () => new Date("2025-11-04T02:45:12.345Z"),
      randomBytes: (n) => new Uint8Array(n).fill(0xab),
    });
    const dir = join(repo, ".runs/t1/cli", RUN);
    expect(store.files.dir).toBe(dir);
    const text = readFileSync(join(dir, "manifest.json"), "utf8");
    expect(text.endsWith("}\n")).toBe(true);
    const written = JSON.parse(text);
    expect(text).toBe(`${JSON.stringify(written, null, 2)}\n`);
    expect(Object.keys(written)).toEqual([...MANIFEST_KEYS]);
    for (const entry of written.commands) expect(Object.keys(entry)).toEqual([...COMMAND_KEYS]);
    expect(Object.keys(written.instructions)).toEqual(["hash", "sources"]);
    const parsed = v.safeParse(Manifest, written);
    expect(parsed.issues).toBeUndefined();
    const iso = "2025-11-04T02:45:12.345Z";
    expect(written).toMatchObject({
      version: 1,
      task_id: "t1",
      task_slug: "t1",
      run_id: RUN,
      parent_run_id: null,
      pipeline_id: "simple",
      pipeline_title: "Simple pipeline",
      runner: "codex-cli",
      approval_policy: null,
      status: "queued",
      status_detail: null,
      started_at: iso,
      completed_at: null,
      updated_at: iso,
      heartbeat_at: iso,
      heartbeat_interval_seconds: 5,
      heartbeat_stale_after_seconds: 30,
      artifact_root: `.runs/t1/cli/${RUN}`,
      compat_path: `.runs/t1/cli/${RUN}`,
      log_path: `.runs/t1/cli/${RUN}/runner.ndjson`,
      summary: null,
      metrics_recorded: false,
      resume_token: "ab".repeat(32),
      resume_events: [],
      approvals: [],
      child_runs: [],
      run_summary_path: null,
      instructions_hash: "1d1a9fbd5a751c8a957d1fd5435563e667b187a5fa4edf3b6fb7a415af9cd678",
      instructions_sources: ["AGENTS.md"],
      schema_version: 1,
      instructions: {
        hash: "1d1a9fbd5a751c8a957d1fd5435563e667b187a5fa4edf3b6fb7a415af9cd678",
        sources: [{ path: "AGENTS.md", bytes: 16 }],
      },
      toolRuns: [],
      metrics: null,
      notifications: null,
    });
    expect(written.commands[1]).toEqual({
      definition_hash: null,
      needs: [],
      skipped_because: null,
      index: 2,
      id: "child",
      title: "child",
      command: null,
      kind: "subpipeline",
      status: "pending",
      started_at: null,
      completed_at: null,
      exit_code: null,
      summary: null,
      log_path: null,
      error_file: null,
      sub_run_id: null,
    });
    expect(readFileSync(join(dir, ".resume-token"), "utf8")).toBe(`${"ab".repeat(32)}\n`);
    expect(statSync(join(dir, "errors")).isDirectory()).toBe(true);
  });

  test("a random 64-hex token by default; no instructions → null hash; exec-style in_progress", async () => {
    const repo = tempDir();
    const store = await ManifestStore.create(await input(repo, { status: "in_progress", taskSlug: null }));
    expect(store.manifest.resume_token).toMatch(/^[0-9a-f]{64}$/);
    expect(store.manifest.resume_token).not.toBe("0".repeat(64));
    expect(store.manifest).toMatchObject({
      status: "in_progress",
      task_slug: null,
      instructions_hash: null,
      instructions_sources: [],
      instructions: { hash: null, sources: [] },
    });
  });

  test("runs outside the repo get ../ paths", async () => {
    const base = tempDir();
    const repo = join(base, "r");
    const store = await ManifestStore.create({
      ...(await input(repo)),
      roots: { repo, runs: join(base, "x"), out: join(base, "o") },
    });
    expect(store.manifest.artifact_root).toBe(`../x/t1/cli/${RUN}`);
    expect(existsSync(join(base, "x/t1/cli", RUN, "manifest.json"))).toBe(true);
  });
});

describe("saves", () => {
  test("each save sets updated_at and keeps the key order, also for keys set out of order", async () => {
    const repo = tempDir();
    const store = await ManifestStore.create(await input(repo), { now: clock("2025-01-01T00:00:00.000Z") });
    const m = store.manifest as Record<string, unknown> & typeof store.manifest;
    // Mutations as the executor does them, some by replacing objects with differently ordered ones.
    m.commands[0] = { ...m.commands[0], sub_run_id: null, status: "running", index: 1 } as never;
    m.child_runs.push({ manifest: "m", status: "succeeded", run_id: "c", pipeline_id: "p" });
    m.metrics = { commandLatencyMs: { max: 3, p50: 1, p95: 2 }, approvalReuse: 0 };
    m.extra_key = "kept";
    await store.save();
    const written = JSON.parse(readFileSync(store.files.manifest, "utf8"));
    expect(Object.keys(written)).toEqual([...MANIFEST_KEYS, "extra_key"]);
    expect(Object.keys(written.commands[0])).toEqual([...COMMAND_KEYS]);
    expect(Object.keys(written.child_runs[0])).toEqual(["run_id", "pipeline_id", "status", "manifest"]);
    expect(Object.keys(written.metrics)).toEqual(["approvalReuse", "commandLatencyMs"]);
    expect(Object.keys(written.metrics.commandLatencyMs)).toEqual(["p50", "p95", "max"]);
    expect(written.updated_at).toBe("2025-01-01T00:00:02.000Z");
    expect(written.started_at).toBe("2025-01-01T00:00:01.000Z");
  });

  test("concurrent saves are serialised and the file ends with the last state", async () => {
    const repo = tempDir();
    const store = await ManifestStore.create(await input(repo));
    const saves: Promise<void>[] = [];
    for (let i = 0; i < 50; i += 1) {
      store.manifest.summary = `line ${i}`;
      saves.push(store.save());
      if (i % 7 === 0) await Promise.resolve();
    }
    await Promise.all(saves);
    await store.idle();
    expect(JSON.parse(readFileSync(store.files.manifest, "utf8")).summary).toBe("line 49");
  });

  test("a failed save rejects and later saves still work", async () => {
    const repo = tempDir();
    const store = await ManifestStore.create(await input(repo));
    (store.manifest as { bad?: unknown }).bad = 1n; // BigInt cannot be serialised
    await expect(store.save()).rejects.toThrow();
    delete (store.manifest as { bad?: unknown }).bad;
    store.manifest.summary = "after";
    await store.save();
    expect(JSON.parse(readFileSync(store.files.manifest, "utf8")).summary).toBe("after");
  });
});

describe("loading", () => {
  test("open() round-trips a manifest, keeping unknown keys", async () => {
    const repo = tempDir();
    const created = await ManifestStore.create(await input(repo));
    (created.manifest as Record<string, unknown>).future = { a: 1 };
    await created.save();
    const opened = await ManifestStore.open(created.files.manifest);
    expect(opened.manifest).toEqual(created.manifest);
    expect(opened.files).toEqual(created.files);
  });

  test("invalid JSON or shape → RunFailedError naming the absolute path and the problem", async () => {
    const repo = tempDir();
    const store = await ManifestStore.create(await input(repo));
    const path = store.files.manifest;
    writeFileSync(path, "{");
    const e1 = await loadManifest(path).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(RunFailedError);
    expect((e1 as RunFailedError).exitCode).toBe(1);
    expect((e1 as Error).message).toStartWith(`Invalid manifest ${path}: `);
    writeFileSync(path, JSON.stringify({ ...store.manifest, commands: [{ ...store.manifest.commands[0], status: "weird" }] }));
    await expect(loadManifest(path)).rejects.toThrow(`Invalid manifest ${path}: /commands/0/status: `);
  });
});
