// Real bubblewrap (installed by .ci/run): what the sandbox allows and denies, the network switch, honesty without a
// backend, and that a wrapped command dies with its runner.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { classifyAttempt } from "../../src/autonomy/attempt-classifier.ts";
import { type SandboxBackend, detectSandboxBackend, planSandbox } from "../../src/autonomy/sandbox.ts";
import { spawnAttempt } from "./fixtures/spawn-attempt.ts";
import { needsProgram } from "../helpers/needs-program.ts";
import { liveProcesses } from "../helpers/processes.ts";
import { waitFor } from "../helpers/wait.ts";

const bwrap = needsProgram("bwrap", "apt-get install bubblewrap");

const linux = process.platform === "linux";
// Outside /tmp: under workspace-write /tmp is writable on purpose, so "outside the workspace" must live elsewhere.
let root = "";
let workspace = "";
let outside = "";
let backend: SandboxBackend;

beforeAll(async () => {
  root = mkdtempSync("/var/tmp/co-sandbox-");
  workspace = join(root, "ws");
  outside = join(root, "outside");
  mkdirSync(workspace);
  mkdirSync(outside);
  backend = await detectSandboxBackend();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function sh(mode: "read-only" | "workspace-write", script: string, networkAllowed = false) {
  const plan = planSandbox({ mode, backend, writableRoots: [], networkAllowed });
  return { plan, run: spawnAttempt(plan.wrapArgv(["/bin/sh", "-c", script], workspace), workspace) };
}

(linux ? bwrap.describe : describe.skip)("bubblewrap sandbox", () => {
  test("bubblewrap is detected as a working backend", () => {
    expect(backend.name).toBe("bubblewrap");
  });

  test("workspace-write: a write inside the workspace succeeds, a write outside is denied", async () => {
    const inside = sh("workspace-write", "echo in > inside.txt");
    expect(inside.plan.state).toBe("sandboxed");
    expect((await inside.run).exitCode).toBe(0);
    expect(readFileSync(join(workspace, "inside.txt"), "utf8")).toBe("in\n");

    const denied = await sh("workspace-write", `echo out > ${join(outside, "x.txt")}`).run;
    expect(denied.exitCode).not.toBe(0);
    expect(denied.stderr).toContain("Read-only file system");
    expect(existsSync(join(outside, "x.txt"))).toBe(false);
    expect(classifyAttempt(denied, { sandboxState: "sandboxed", networkBlocked: true }).kind).toBe("denied");
  });

  test("workspace-write keeps /tmp writable; read-only denies even the workspace", async () => {
    const tmp = await sh("workspace-write", "f=$(mktemp /tmp/co-sbx-XXXXXX) && echo ok > $f && cat $f && rm $f").run;
    expect(tmp.stdout).toBe("ok\n");
    const ro = await sh("read-only", "echo in > ro.txt").run;
    expect(ro.exitCode).not.toBe(0);
    expect(existsSync(join(workspace, "ro.txt"))).toBe(false);
    expect((await sh("read-only", "cat inside.txt").run).stdout).toBe("in\n");
  });

  test("the network is off unless allowed", async () => {
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("pong") });
    try {
      const script = `${process.execPath} -e "const r = await fetch('http://127.0.0.1:${server.port}/'); console.log(await r.text())"`;
      const blocked = await sh("read-only", script).run;
      expect(blocked.exitCode).not.toBe(0);
      expect(blocked.stdout).not.toContain("pong");
      const allowed = await sh("read-only", script, true).run;
      expect(allowed.stdout).toBe("pong\n");
    } finally {
      server.stop(true);
    }
  });

  test("the command sees which sandbox it is in", async () => {
    const env = await sh("read-only", 'echo "$CODEX_ORCHESTRATOR_SANDBOX $CODEX_SANDBOX_NETWORK_DISABLED"').run;
    expect(env.stdout).toBe("read-only 1\n");
  });

  test("a program that does not exist is left unwrapped (the runner reports 127 itself)", () => {
    const plan = planSandbox({ mode: "workspace-write", backend });
    expect(plan.wrapArgv(["co-no-such-program-xyz", "a"], workspace)).toEqual(["co-no-such-program-xyz", "a"]);
    expect(plan.wrapArgv(["/bin/sh", "-c", ":"], workspace)[0]).toContain("bwrap");
  });

  test("killing the runner's process group, or bwrap alone, stops the command and all its descendants", async () => {
    const plan = planSandbox({ mode: "read-only", backend });
    for (const how of ["group", "bwrap"] as const) {
      // A unique duration names the grandchild so we can find it from outside the PID namespace.
      const seconds = String(300 + Math.floor(Math.random() * 10_000));
      const argv = plan.wrapArgv(["/bin/sh", "-c", `sleep ${seconds} & echo started; wait`], workspace);
      const child = spawn(argv[0] as string, argv.slice(1), { cwd: workspace, detached: true, stdio: ["ignore", "pipe", "ignore"] });
      await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
      // `echo started` can run before the background job has exec'd `sleep`: wait for it to appear.
      await waitFor(() => liveProcesses(`sleep ${seconds}`).length > 0, 5_000);
      expect(liveProcesses(`sleep ${seconds}`)).toHaveLength(1);
      if (how === "group") process.kill(-(child.pid as number), "SIGTERM");
      else process.kill(child.pid as number, "SIGKILL");
      await waitFor(() => liveProcesses(`sleep ${seconds}`).length === 0, 10_000);
    }
  });
});

describe("without a sandbox backend", () => {
  test("the state is unsandboxed, with a warning, and the command really is unconfined", async () => {
    const plan = planSandbox({ mode: "workspace-write", backend: { name: "none", reason: "bubblewrap (bwrap) not found on PATH" } });
    expect(plan.state).toBe("unsandboxed");
    expect(plan.warning).toBe(
      "Sandbox workspace-write requested but not enforced (bubblewrap (bwrap) not found on PATH); the command runs unsandboxed.",
    );
    const dir = mkdtempSync("/var/tmp/co-nosandbox-");
    try {
      const result = await spawnAttempt(plan.wrapArgv(["/bin/sh", "-c", "echo x > ../free.txt"], join(dir)), dir);
      expect(result.exitCode).toBe(0);
      // Honest: no denial is ever reported for an unsandboxed attempt.
      expect(classifyAttempt({ exitCode: 1, stderr: "Permission denied" }, { sandboxState: plan.state, networkBlocked: false }).kind).toBe(
        "failed",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync("/var/tmp/free.txt", { force: true });
    }
  });

  test("danger-full-access and no mode are unsandboxed without a warning; a live shell cannot be wrapped", () => {
    expect(planSandbox({ mode: "danger-full-access", backend: null })).toMatchObject({ state: "unsandboxed" });
    expect(planSandbox({ mode: null, backend: null }).warning).toBeUndefined();
    const live = planSandbox({ mode: "read-only", backend: { name: "bubblewrap", path: "/usr/bin/bwrap" }, sandboxable: false });
    expect(live.state).toBe("unsandboxed");
    expect(live.warning).toContain("live shell session");
  });
});
