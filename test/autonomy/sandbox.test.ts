// Real bubblewrap (installed by .ci/run): what the sandbox allows and denies, the network switch, and that a wrapped
// command dies with its runner. Without a backend: fail closed, or the explicit fallback (issue 15). The Landlock
// backend is proved through the binary in test/e2e/sandbox-landlock.test.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { classifyAttempt } from "../../src/autonomy/attempt-classifier.ts";
import {
  type BubblewrapProbe,
  type LandlockProbe,
  type SandboxBackend,
  chooseSandboxBackend,
  planSandbox,
  probeBubblewrap,
  sandboxLabel,
  userNamespaceSupport,
  writableRootsOf,
} from "../../src/autonomy/sandbox.ts";
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
  backend = await chooseSandboxBackend({ choice: "bwrap", landlock: () => ({ abi: 0, reason: "unused" }), bubblewrap: () => probeBubblewrap(), helper: [] });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function sh(mode: "read-only" | "workspace-write", script: string, networkAllowed = false) {
  const plan = planSandbox({ mode, backend, writableRoots: [], networkAllowed });
  return { plan, run: spawnAttempt(plan.wrapArgv(["/bin/sh", "-c", script], workspace), workspace) };
}

(linux ? bwrap.describe : describe.skip)("bubblewrap sandbox", () => {
  test("bubblewrap is detected as a working backend", () => {
    expect(backend.name).toBe("bwrap");
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

  test("workspace-write keeps the repository's .git read-only", async () => {
    mkdirSync(join(workspace, ".git"), { recursive: true });
    try {
      const run = await sh("workspace-write", "echo ok > tracked.txt && echo x > .git/HEAD").run;
      expect(run.exitCode).not.toBe(0);
      expect(run.stderr).toContain("Read-only file system");
      expect(readFileSync(join(workspace, "tracked.txt"), "utf8")).toBe("ok\n");
      expect(existsSync(join(workspace, ".git", "HEAD"))).toBe(false);
    } finally {
      rmSync(join(workspace, ".git"), { recursive: true, force: true });
    }
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
  const none = { name: "none" as const, reason: "bubblewrap (bwrap) not found on PATH" };

  test("fail closed: the state is unavailable, with the reason, and nothing is wrapped to run", () => {
    const plan = planSandbox({ mode: "workspace-write", backend: none });
    expect(plan).toMatchObject({ state: "unavailable", backend: null, reason: "bubblewrap (bwrap) not found on PATH" });
    expect(plan.warning).toBeUndefined();
  });

  test("the explicit fallback runs it unsandboxed, honestly: a warning, a reason, and no denial is ever reported", async () => {
    const plan = planSandbox({ mode: "workspace-write", backend: none, fallback: "unsandboxed" });
    expect(plan.state).toBe("unsandboxed");
    expect(plan.reason).toBe("bubblewrap (bwrap) not found on PATH; run unsandboxed (--sandbox-fallback unsandboxed)");
    expect(plan.warning).toBe(
      "Sandbox workspace-write not enforced (bubblewrap (bwrap) not found on PATH); the command runs unsandboxed as --sandbox-fallback unsandboxed asks.",
    );
    const dir = mkdtempSync("/var/tmp/co-nosandbox-");
    try {
      const result = await spawnAttempt(plan.wrapArgv(["/bin/sh", "-c", "echo x > ../free.txt"], join(dir)), dir);
      expect(result.exitCode).toBe(0);
      expect(classifyAttempt({ exitCode: 1, stderr: "Permission denied" }, { sandboxState: plan.state, networkBlocked: false }).kind).toBe(
        "failed",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync("/var/tmp/free.txt", { force: true });
    }
  });

  test("danger-full-access and no mode are unsandboxed without a reason", () => {
    expect(planSandbox({ mode: "danger-full-access", backend: null })).toMatchObject({ state: "unsandboxed", backend: null });
    expect(planSandbox({ mode: null, backend: null }).reason).toBeUndefined();
  });
});

describe("choosing a backend", () => {
  const landlock7 = () => ({ abi: 7, reason: null });
  const noLandlock = () => ({ abi: 0, reason: "the kernel has no Landlock (ENOSYS)" });
  const bwrapOk = async () => ({ path: "/usr/bin/bwrap", reason: null });
  const bwrapMissing = async () => ({ path: null, reason: "bubblewrap (bwrap) not found on PATH" });
  const choose = (choice: "auto" | "landlock" | "bwrap", landlock: () => LandlockProbe, bubblewrap: () => Promise<BubblewrapProbe>) =>
    chooseSandboxBackend({ choice, landlock, bubblewrap, helper: ["/self"] });

  test("auto takes Landlock where the kernel has it, else bubblewrap, else says why neither", async () => {
    expect(await choose("auto", landlock7, bwrapOk)).toEqual({ name: "landlock", abi: 7, helper: ["/self"] });
    expect(await choose("auto", noLandlock, bwrapOk)).toEqual({ name: "bwrap", path: "/usr/bin/bwrap" });
    expect(await choose("auto", noLandlock, bwrapMissing)).toEqual({
      name: "none",
      reason: "no sandbox backend: Landlock is not available (the kernel has no Landlock (ENOSYS)); bubblewrap (bwrap) not found on PATH",
    });
  });

  test("an explicit backend is that backend or none; Landlock below ABI 3 cannot keep a file read-only", async () => {
    expect((await choose("bwrap", landlock7, bwrapMissing)).name).toBe("none");
    expect((await choose("landlock", noLandlock, bwrapOk)).name).toBe("none");
    const old = await choose("landlock", () => ({ abi: 2, reason: null }), bwrapOk);
    expect(old).toEqual({
      name: "none",
      reason:
        "Landlock ABI 2 cannot keep files read-only (truncate(2) needs ABI 3, Linux 6.2); --sandbox-backend bwrap uses bubblewrap instead",
    });
  });

  test("a Landlock plan wraps the argv in the helper with the policy; writable roots are resolved and never /", () => {
    const plan = planSandbox({ mode: "workspace-write", backend: { name: "landlock", abi: 7, helper: ["/self"] }, writableRoots: ["/"] });
    expect(plan).toMatchObject({ state: "sandboxed", backend: "landlock", landlockAbi: 7, networkBlocked: true });
    const argv = plan.wrapArgv(["sh", "-c", "true"], "/var/tmp", { TMPDIR: "/tmp" });
    expect(argv.slice(0, 2)).toEqual(["/self", "__sandbox-exec"]);
    expect(argv.slice(3)).toEqual(["--", "sh", "-c", "true"]);
    expect(JSON.parse(argv[2] as string)).toEqual({ v: 1, mode: "workspace-write", write: ["/var/tmp", "/tmp"], net: false });
    expect(writableRootsOf(["/", "/tmp", "/no/such/dir"], { TMPDIR: "/tmp" })).toEqual(["/tmp"]);
    expect(sandboxLabel(plan)).toBe("the workspace-write sandbox (landlock, network off)");
  });

  test("user namespaces as /proc/sys reports them", () => {
    const sys = (files: Record<string, string>) => (path: string) => files[path] ?? null;
    expect(userNamespaceSupport(sys({})).enabled).toBeNull();
    expect(userNamespaceSupport(sys({ "/proc/sys/user/max_user_namespaces": "0" })).enabled).toBe(false);
    const debian = { "/proc/sys/user/max_user_namespaces": "100", "/proc/sys/kernel/unprivileged_userns_clone": "0" };
    expect(userNamespaceSupport(sys(debian)).detail).toContain("unprivileged_userns_clone");
    expect(userNamespaceSupport(sys({ "/proc/sys/user/max_user_namespaces": "100" })).enabled).toBe(true);
  });
});
