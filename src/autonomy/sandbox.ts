import { accessSync, constants, existsSync, readFileSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { type LandlockProbe, MIN_LANDLOCK_ABI, type SandboxBackend } from "../core/sandbox-backend.ts";
import { SANDBOX_HELPER_ENTRY, encodeSandboxPolicy } from "../core/sandbox-policy.ts";
import { SANDBOX_EXEC_PATH, seatbeltArgv } from "./seatbelt-profile.ts";
import type { SandboxBackendChoice, SandboxBackendName, SandboxFallback, SandboxMode, SandboxState } from "../core/schemas/common.ts";

export type { SandboxBackend };

export const NO_SANDBOX_BACKEND: SandboxBackend = { name: "none", reason: "no sandbox backend" };

/** How one attempt runs: the state it reports, the backend that enforces it and how its argv is wrapped. */
export type SandboxPlan = {
  mode: SandboxMode | null;
  state: SandboxState;
  networkBlocked: boolean;
  backend: SandboxBackendName | null;
  /** The kernel's Landlock ABI when the landlock backend enforces the attempt. */
  landlockAbi: number | null;
  /** Why the sandbox asked for is not in force: `unavailable` (nothing may run), or `unsandboxed` by the fallback. */
  reason?: string;
  /** The line to print when the attempt runs without the sandbox asked for (`--sandbox-fallback unsandboxed`). */
  warning?: string;
  wrapArgv(argv: readonly string[], cwd: string, env?: Record<string, string | undefined>): string[];
};

const identity = (argv: readonly string[]): string[] => [...argv];

/**
 * The plan for an attempt (issue 15). `read-only`/`workspace-write` with a backend: enforced, `sandboxed`. Without one
 * the sandbox fails closed — `unavailable`, and the orchestrator runs nothing — unless the fallback is `unsandboxed`,
 * the explicit opt-out, which runs it `unsandboxed` with the reason recorded. `danger-full-access` or no mode:
 * `unsandboxed`. `escalated`: a retry that left the sandbox.
 */
export function planSandbox(input: {
  mode: SandboxMode | null;
  backend: SandboxBackend | null;
  writableRoots?: readonly string[];
  networkAllowed?: boolean;
  escalated?: boolean;
  fallback?: SandboxFallback;
}): SandboxPlan {
  const none = { networkBlocked: false, backend: null, landlockAbi: null, wrapArgv: identity };
  if (input.escalated === true) return { mode: "danger-full-access", state: "escalated", ...none };
  const mode = input.mode;
  if (mode === null || mode === "danger-full-access") return { mode, state: "unsandboxed", ...none };
  const backend = input.backend ?? NO_SANDBOX_BACKEND;
  if (backend.name === "none") {
    if (input.fallback === "unsandboxed") {
      return {
        mode,
        state: "unsandboxed",
        ...none,
        reason: `${backend.reason}; run unsandboxed (--sandbox-fallback unsandboxed)`,
        warning: `Sandbox ${mode} not enforced (${backend.reason}); the command runs unsandboxed as --sandbox-fallback unsandboxed asks.`,
      };
    }
    return { mode, state: "unavailable", ...none, reason: backend.reason };
  }
  const networkBlocked = input.networkAllowed !== true;
  const extra = mode === "workspace-write" ? (input.writableRoots ?? []) : [];
  const common = { mode, state: "sandboxed" as const, networkBlocked };
  if (backend.name === "landlock") {
    return {
      ...common,
      backend: "landlock",
      landlockAbi: backend.abi,
      wrapArgv: (argv, cwd, env) => {
        const roots = mode === "workspace-write" ? writableRootsOf([cwd, ...extra], env) : [];
        const policy = encodeSandboxPolicy({ mode, writableRoots: roots, networkAllowed: !networkBlocked });
        return [...backend.helper, SANDBOX_HELPER_ENTRY, policy, "--", ...argv];
      },
    };
  }
  if (backend.name === "seatbelt") {
    return {
      ...common,
      backend: "seatbelt",
      landlockAbi: null,
      wrapArgv: (argv, cwd, env) => {
        // As under bubblewrap: a program that cannot be found is the runner's own spawn error (127/126), nothing run.
        if (resolveProgram(argv[0] ?? "", cwd, env?.PATH ?? process.env.PATH ?? "") === null) return [...argv];
        const writableRoots = mode === "workspace-write" ? writableRootsOf([cwd, ...extra], env) : [];
        return seatbeltArgv({ path: backend.path, mode, writableRoots, networkAllowed: !networkBlocked, argv });
      },
    };
  }
  return {
    ...common,
    backend: "bwrap",
    landlockAbi: null,
    wrapArgv: (argv, cwd, env) => {
      // A program that cannot be found is left to the runner's own spawn error (127/126): nothing runs either way,
      // and bwrap would report it as a plain exit 1.
      if (resolveProgram(argv[0] ?? "", cwd, env?.PATH ?? process.env.PATH ?? "") === null) return [...argv];
      return bubblewrapArgv({ backend, mode, argv, cwd, writableRoots: [cwd, ...extra], networkBlocked, env });
    },
  };
}

/**
 * What a plan enforces, in words: `unsandboxed`, or `the workspace-write sandbox (landlock, network off)`. A live
 * session shell is known by it (a shell keeps the sandbox it started in).
 */
export function sandboxLabel(plan: Pick<SandboxPlan, "state" | "mode" | "backend" | "networkBlocked">): string {
  if (plan.state !== "sandboxed" || plan.backend === null) return "unsandboxed";
  return `the ${plan.mode} sandbox (${plan.backend}, network ${plan.networkBlocked ? "off" : "on"})`;
}

/**
 * The directories writable under `workspace-write`: the given roots, `/tmp` and the command's `$TMPDIR`, resolved,
 * without duplicates and never `/` itself (a workspace at the root must not make the whole machine writable).
 */
export function writableRootsOf(roots: readonly string[], env?: Record<string, string | undefined>): string[] {
  const out = new Set<string>();
  for (const root of [...roots, "/tmp", env?.TMPDIR ?? tmpdir()]) {
    if (root === "") continue;
    const real = realOrNull(root);
    if (real !== null && real !== "/") out.add(real);
  }
  return [...out];
}

/** The bubblewrap command line for one attempt. */
export function bubblewrapArgv(input: {
  backend: { path: string };
  mode: "read-only" | "workspace-write";
  argv: readonly string[];
  cwd: string;
  writableRoots: readonly string[];
  networkBlocked: boolean;
  env?: Record<string, string | undefined>;
}): string[] {
  const args = [input.backend.path, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"];
  if (input.mode === "workspace-write") {
    const roots = writableRootsOf(input.writableRoots, input.env);
    for (const root of roots) args.push("--bind", root, root);
    // A repository's history stays read-only inside a writable workspace: mounted over it, after the writable binds
    // (what namespaces can express and Landlock cannot).
    for (const root of roots) {
      const git = join(root, ".git");
      if (existsSync(git)) args.push("--ro-bind", git, git);
    }
  }
  if (input.networkBlocked) args.push("--unshare-net", "--setenv", "CODEX_SANDBOX_NETWORK_DISABLED", "1");
  // A PID namespace: when bwrap dies (group kill, timeout, --die-with-parent) every descendant dies with it, even
  // one that left the process group. No --new-session: the command stays in the runner's process group.
  args.push("--unshare-pid", "--die-with-parent", "--setenv", "CODEX_ORCHESTRATOR_SANDBOX", input.mode, "--chdir", input.cwd, "--");
  args.push(...input.argv);
  return args;
}

function realOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/** The executable a spawn of `program` would run, or null when there is none. */
export function resolveProgram(program: string, cwd: string, pathVariable: string): string | null {
  if (program === "") return null;
  const candidates = program.includes("/")
    ? [isAbsolute(program) ? program : resolve(cwd, program)]
    : pathVariable.split(delimiter).filter((dir) => dir !== "").map((dir) => join(resolve(cwd, dir), program));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next PATH entry
    }
  }
  return null;
}

/** What the Landlock probe of the exec layer found (`src/exec/landlock.ts`). */
export type { LandlockProbe };

/** Where Seatbelt's `sandbox-exec` is (`path`, null when it cannot be used here) and why not. */
export type SeatbeltProbe = { path: string | null; reason: string | null };

/** `/usr/bin/sandbox-exec` on macOS; on any other platform there is no Seatbelt. */
export function probeSeatbelt(platform: string = process.platform): SeatbeltProbe {
  if (platform !== "darwin") return { path: null, reason: `Seatbelt (${SANDBOX_EXEC_PATH}) is macOS only (this is ${platform})` };
  if (!existsSync(SANDBOX_EXEC_PATH)) return { path: null, reason: `${SANDBOX_EXEC_PATH} not found` };
  return { path: SANDBOX_EXEC_PATH, reason: null };
}

/**
 * The backend for `choice` (issue 15): `landlock` needs Landlock ABI ≥ 3 and seccomp; `bwrap` needs a bubblewrap that
 * can build the sandbox; `seatbelt` needs macOS's `sandbox-exec`; `auto` takes Seatbelt on macOS, else Landlock when it
 * is usable, else bubblewrap. bubblewrap is probed only when it may be chosen. `none` says why nothing can enforce a
 * sandbox, and what to do.
 */
export async function chooseSandboxBackend(input: {
  choice: SandboxBackendChoice;
  landlock: () => LandlockProbe | Promise<LandlockProbe>;
  bubblewrap: () => Promise<BubblewrapProbe>;
  helper: readonly string[];
  /** Default: `probeSeatbelt()` on this platform. */
  seatbelt?: () => SeatbeltProbe;
  platform?: string;
}): Promise<SandboxBackend> {
  const platform = input.platform ?? process.platform;
  let seatbeltReason: string | null = null;
  if (input.choice === "seatbelt" || (input.choice === "auto" && platform === "darwin")) {
    const seatbelt = input.seatbelt?.() ?? probeSeatbelt(platform);
    if (seatbelt.path !== null && seatbelt.reason === null) return { name: "seatbelt", path: seatbelt.path };
    seatbeltReason = seatbelt.reason ?? "Seatbelt is not usable";
    if (input.choice === "seatbelt") {
      const todo = platform === "linux" ? "use --sandbox-backend landlock or bwrap" : "use another --sandbox-backend";
      return { name: "none", reason: `${seatbeltReason}; ${todo}` };
    }
  }
  let landlockReason: string | null = null;
  if (input.choice !== "bwrap") {
    const probe = await input.landlock();
    if (probe.abi >= MIN_LANDLOCK_ABI) return { name: "landlock", abi: probe.abi, helper: input.helper };
    landlockReason =
      probe.abi >= 1
        ? `Landlock ABI ${probe.abi} cannot keep files read-only (truncate(2) needs ABI ${MIN_LANDLOCK_ABI}, Linux 6.2)`
        : `Landlock is not available (${probe.reason ?? "unknown reason"})`;
    if (input.choice === "landlock") return { name: "none", reason: `${landlockReason}; --sandbox-backend bwrap uses bubblewrap instead` };
  }
  const bwrap = await input.bubblewrap();
  if (bwrap.path !== null && bwrap.reason === null) return { name: "bwrap", path: bwrap.path };
  const bwrapReason = bwrap.reason ?? "bubblewrap is not usable";
  if (input.choice === "bwrap") {
    const todo = bwrap.path === null ? "install bubblewrap, or use --sandbox-backend landlock" : "use --sandbox-backend landlock";
    return { name: "none", reason: `${bwrapReason}; ${todo}` };
  }
  return { name: "none", reason: `no sandbox backend: ${seatbeltReason === null ? "" : `${seatbeltReason}; `}${landlockReason}; ${bwrapReason}` };
}

/** bubblewrap on PATH (`path`, null when absent) and why it cannot be used (null when it can). */
export type BubblewrapProbe = { path: string | null; reason: string | null };

const bubblewrapProbes = new Map<string, Promise<BubblewrapProbe>>();

/**
 * Whether bubblewrap can build the sandbox here, once per process and PATH: on PATH, and able to create its namespaces
 * (user namespaces may be disabled). The probe runs the same mounts as a real attempt, so a bubblewrap that would
 * fail at every command is reported as unusable, with its own first line.
 */
export function probeBubblewrap(env: Record<string, string | undefined> = process.env): Promise<BubblewrapProbe> {
  const key = env.PATH ?? "";
  let probe = bubblewrapProbes.get(key);
  if (probe === undefined) {
    probe = runBubblewrapProbe(env);
    bubblewrapProbes.set(key, probe);
  }
  return probe;
}

async function runBubblewrapProbe(env: Record<string, string | undefined>): Promise<BubblewrapProbe> {
  if (process.platform !== "linux") return { path: null, reason: `bubblewrap is Linux only (this is ${process.platform})` };
  const path = resolveProgram("bwrap", "/", env.PATH ?? "");
  if (path === null || !existsSync(path)) return { path: null, reason: "bubblewrap (bwrap) not found on PATH" };
  const argv = bubblewrapArgv({
    backend: { path },
    mode: "read-only",
    argv: ["/bin/sh", "-c", ":"],
    cwd: "/",
    writableRoots: [],
    networkBlocked: true,
  });
  const error = await run(argv);
  if (error === null) return { path, reason: null };
  return { path, reason: `bubblewrap cannot create a sandbox here (${error})` };
}

async function run(argv: string[]): Promise<string | null> {
  // Loaded for the bubblewrap probe only, not at every run's start-up.
  const { execFile } = await import("node:child_process");
  return new Promise((done) => {
    execFile(argv[0] as string, argv.slice(1), { timeout: 5000 }, (error, _stdout, stderr) => {
      if (error === null) return done(null);
      done((String(stderr).trim().split("\n")[0] ?? "") || error.message);
    });
  });
}

/**
 * Whether user namespaces (what bubblewrap builds its sandbox from) are open to unprivileged users, as /proc/sys says:
 * `max_user_namespaces` 0 disables them, Debian's `unprivileged_userns_clone` 0 and Ubuntu's AppArmor restriction
 * keep them from unprivileged users. Null when the files cannot be read. bubblewrap's own probe is the real test.
 */
export function userNamespaceSupport(read: (path: string) => string | null = readProcSys): { enabled: boolean | null; detail: string } {
  const max = read("/proc/sys/user/max_user_namespaces");
  if (max === null) return { enabled: null, detail: "unknown (/proc/sys/user/max_user_namespaces not readable)" };
  if (max === "0") return { enabled: false, detail: "disabled (user.max_user_namespaces = 0)" };
  if (read("/proc/sys/kernel/unprivileged_userns_clone") === "0") {
    return { enabled: false, detail: "disabled for unprivileged users (kernel.unprivileged_userns_clone = 0)" };
  }
  if (read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") === "1") {
    return { enabled: false, detail: "restricted by AppArmor (kernel.apparmor_restrict_unprivileged_userns = 1)" };
  }
  return { enabled: true, detail: `enabled (user.max_user_namespaces = ${max})` };
}

function readProcSys(path: string): string | null {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return null;
  }
}
