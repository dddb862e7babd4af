import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Heartbeat } from "../../src/run/heartbeat.ts";
import { loadInstructions } from "../../src/run/instructions.ts";
import { ManifestStore } from "../../src/run/manifest-store.ts";
import { useTempDirs } from "./fixtures/temp.ts";

const tempDir = useTempDirs();
const RUN = "2025-11-04T02-45-12-345Z-abcdef01";

async function setup(status: "queued" | "in_progress" = "in_progress") {
  const repo = tempDir();
  let nowMs = Date.parse("2025-01-01T00:00:00.000Z");
  const clock = {
    now: () => new Date(nowMs),
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
  const store = await ManifestStore.create(
    {
      roots: { repo, runs: join(repo, ".runs"), out: join(repo, "out") },
      taskId: "t1",
      runId: RUN,
      taskSlug: null,
      parentRunId: null,
      pipelineId: "p",
      pipelineTitle: "P",
      approvalPolicy: null,
      status,
      stages: [],
      instructions: await loadInstructions(repo),
    },
    { now: clock.now },
  );
  const warnings: string[] = [];
  const onDisk = () => JSON.parse(readFileSync(store.files.manifest, "utf8"));
  const heartbeatFile = () => readFileSync(store.files.heartbeat, "utf8");
  return { store, clock, warnings, onDisk, heartbeatFile, warn: (m: string) => warnings.push(m) };
}

describe("heartbeat (§11.1)", () => {
  test("a tick rewrites .heartbeat and heartbeat_at, clears status_detail, saves only every 30 s", async () => {
    const { store, clock, warnings, onDisk, heartbeatFile, warn } = await setup();
    const hb = new Heartbeat(store, { now: clock.now, warn, intervalMs: 60_000 });
    hb.start();
    store.manifest.status_detail = "resuming";
    clock.advance(5000);
    await hb.tick();
    expect(heartbeatFile()).toBe("2025-01-01T00:00:05.000Z\n");
    expect(store.manifest.heartbeat_at).toBe("2025-01-01T00:00:05.000Z");
    expect(store.manifest.status_detail).toBeNull();
    expect(onDisk().heartbeat_at).toBe("2025-01-01T00:00:00.000Z"); // not saved yet
    clock.advance(24_999);
    await hb.tick();
    expect(onDisk().heartbeat_at).toBe("2025-01-01T00:00:00.000Z");
    clock.advance(1);
    await hb.tick(); // 30 s after start
    expect(onDisk().heartbeat_at).toBe("2025-01-01T00:00:30.000Z");
    expect(onDisk().status_detail).toBeNull();
    clock.advance(5000);
    await hb.tick();
    expect(onDisk().heartbeat_at).toBe("2025-01-01T00:00:30.000Z");
    expect(heartbeatFile()).toBe("2025-01-01T00:00:35.000Z\n");
    await hb.stop();
    expect(warnings).toEqual([]);
  });

  test("status_detail is left alone unless in_progress", async () => {
    const { store, clock, warn } = await setup("queued");
    store.manifest.status_detail = "something";
    await new Heartbeat(store, { now: clock.now, warn }).tick();
    expect(store.manifest.status_detail).toBe("something");
  });

  test("force() (after stop) saves and writes .heartbeat with the same instant, keeping status_detail", async () => {
    const { store, clock, onDisk, heartbeatFile, warn } = await setup();
    const hb = new Heartbeat(store, { now: clock.now, warn });
    hb.start();
    await hb.stop();
    store.manifest.status_detail = "resuming";
    clock.advance(7000);
    await hb.force();
    const manifest = onDisk();
    expect(heartbeatFile()).toBe(`${manifest.heartbeat_at}\n`);
    expect(manifest.heartbeat_at).toBe("2025-01-01T00:00:07.000Z");
    expect(manifest.status_detail).toBe("resuming");
  });

  test("the timer ticks on its own at the injected interval", async () => {
    const { store, heartbeatFile, warn } = await setup();
    const hb = new Heartbeat(store, { intervalMs: 20, warn });
    hb.start();
    const seen = new Set<string>();
    const deadline = Date.now() + 10_000;
    while (seen.size < 3 && Date.now() < deadline) {
      try {
        seen.add(heartbeatFile());
      } catch {}
      await new Promise((r) => setTimeout(r, 5));
    }
    await hb.stop();
    expect(seen.size).toBeGreaterThanOrEqual(3);
    for (const text of seen) expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\n$/);
  });

  test("a failing tick warns and never throws", async () => {
    const { store, clock, warnings, warn } = await setup();
    mkdirSync(join(store.files.heartbeat, "blocker"), { recursive: true }); // a directory where .heartbeat goes
    const hb = new Heartbeat(store, { now: clock.now, warn });
    await hb.tick();
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toStartWith(`Heartbeat update failed for run ${RUN}: `);
    rmSync(store.files.heartbeat, { recursive: true });
    await hb.tick();
    expect(warnings.length).toBe(1);
  });

  test("the timer does not keep the process alive", async () => {
    const repo = tempDir();
    const child = Bun.spawn([process.execPath, "run", join(import.meta.dir, "fixtures/idle-heartbeat.ts"), repo], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const code = await child.exited;
    clearTimeout(timer);
    expect(await new Response(child.stdout).text()).toBe("started\n");
    expect(child.signalCode).toBeNull();
    expect(code).toBe(0);
  });
});
