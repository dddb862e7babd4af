import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_LIVE_SESSIONS, SessionManager } from "../../src/exec/session-manager.ts";
import { waitFor } from "../helpers/wait.ts";

const dir = realpathSync(mkdtempSync(join(tmpdir(), "session-manager-")));
const managers: SessionManager[] = [];
function manager(options: ConstructorParameters<typeof SessionManager>[0] = {}): SessionManager {
  const m = new SessionManager({ cwd: dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", BASE: "base" }, ...options });
  managers.push(m);
  return m;
}
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.disposeAll()));
});

describe("SessionManager flags (SPEC §9.4)", () => {
  test("no id → ephemeral with a random UUID and the env snapshot, no shell", async () => {
    const lease = await manager().acquire({ env: { A: "1" } });
    expect(lease.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lease).toMatchObject({ persisted: false, reused: false, session: null });
    expect(lease.env).toMatchObject({ BASE: "base", A: "1" });
  });

  test("{id} alone → ephemeral with that id", async () => {
    const lease = await manager().acquire({ id: "s" });
    expect(lease).toMatchObject({ id: "s", persisted: false, reused: false, session: null });
  });

  test("{id, reuse: false} alone is ephemeral; {id, persist} and {id, reuse} are persisted", async () => {
    const m = manager();
    expect(await m.acquire({ id: "a", reuse: false })).toMatchObject({ persisted: false, reused: false, session: null });
    const p = await m.acquire({ id: "p", persist: true });
    expect(p).toMatchObject({ persisted: true, reused: true, created: true });
    expect(p.session?.alive).toBe(true);
    const r = await m.acquire({ id: "r", reuse: true });
    expect(r).toMatchObject({ persisted: true, reused: true, created: true });
    expect(m.size).toBe(2);
  });

  test("reuse returns the same live shell: cd and exports carry over, the new stage env applies", async () => {
    const m = manager();
    const one = await m.acquire({ id: "s1", persist: true, env: { A: "1" } });
    const first = await one.session?.run('echo "$A $BASE"; cd /tmp; export KEPT=yes');
    expect(first?.output).toBe("1 base\n");
    await m.release(one);
    const two = await m.acquire({ id: "s1", persist: true, env: { A: "2" } });
    expect(two.session).toBe(one.session);
    expect(two.created).toBe(false);
    expect(two.env.A).toBe("2");
    const second = await two.session?.run('echo "$A $KEPT"; pwd');
    expect(second?.output).toBe("2 yes\n/tmp\n");
  });

  test("persist with reuse false disposes the old shell and starts a new one", async () => {
    const m = manager();
    const one = await m.acquire({ id: "s1", persist: true });
    await one.session?.run("export OLD=1");
    const two = await m.acquire({ id: "s1", persist: true, reuse: false });
    expect(two).toMatchObject({ persisted: true, reused: false, created: true });
    expect(two.session).not.toBe(one.session);
    expect(one.session?.alive).toBe(false);
    expect((await two.session?.run('echo "[$OLD]"'))?.output).toBe("[]\n");
  });

  test("a shell that exited is replaced on the next acquire", async () => {
    const m = manager();
    const one = await m.acquire({ id: "s1", persist: true });
    await one.session?.run("exit 3");
    const two = await m.acquire({ id: "s1", persist: true });
    expect(two.created).toBe(true);
    expect(two.session?.alive).toBe(true);
  });

  test("4 sessions used at once keep their own state", async () => {
    const m = manager();
    const leases = await Promise.all([1, 2, 3, 4].map((i) => m.acquire({ id: `c${i}`, persist: true, env: { N: String(i) } })));
    const results = await Promise.all(
      leases.map((l, i) => l.session?.run(`sleep 0.3; export M=$((N * 10)); echo "$N $M $$"; (exit ${i})`)),
    );
    const pids = new Set<string>();
    results.forEach((r, i) => {
      const [n, mm, pid] = (r?.output ?? "").trim().split(" ");
      expect([n, mm]).toEqual([String(i + 1), String((i + 1) * 10)]);
      expect(r?.exitCode).toBe(i);
      pids.add(pid as string);
    });
    expect(pids.size).toBe(4);
    expect(m.list().map((s) => s.id)).toEqual(["c1", "c2", "c3", "c4"]);
  });

  test("at most the limit of live sessions, with a clear error beyond", async () => {
    expect(MAX_LIVE_SESSIONS).toBe(64);
    const m = manager({ maxSessions: 2 });
    await m.acquire({ id: "a", persist: true });
    await m.acquire({ id: "b", persist: true });
    await expect(m.acquire({ id: "c", persist: true })).rejects.toThrow("Too many live sessions (limit 2)");
    await m.dispose("a");
    expect((await m.acquire({ id: "c", persist: true })).created).toBe(true);
  });

  test("idle sessions expire; busy ones do not", async () => {
    const m = manager({ idleMs: 300 });
    const idle = await m.acquire({ id: "idle", persist: true });
    const busy = await m.acquire({ id: "busy", persist: true });
    // The busy session runs until the test lets it finish, long after the idle one expired.
    const go = join(dir, "idle-go");
    const running = busy.session?.run(`n=0; while [ ! -e ${go} ] && [ $n -lt 1000 ]; do sleep 0.02; n=$((n + 1)); done; echo done`);
    await waitFor(() => idle.session?.alive === false);
    expect(m.get("idle")).toBeUndefined();
    expect(busy.session?.alive).toBe(true);
    writeFileSync(go, "");
    expect((await running)?.output).toBe("done\n");
  });

  test("disposeAll ends every shell", async () => {
    const m = manager();
    const leases = await Promise.all(["x", "y"].map((id) => m.acquire({ id, persist: true })));
    await m.disposeAll();
    for (const l of leases) expect(l.session?.alive).toBe(false);
    expect(m.size).toBe(0);
  });
});
