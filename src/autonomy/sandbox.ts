import { execFile } from "node:child_process";
import { accessSync, constants, existsSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import type { SandboxMode, SandboxState } from "../core/schemas/common.ts";

export type SandboxBackend =
  | { name: "bubblewrap"; path: string }
  | { name: "none"; reason: string };

export const NO_SANDBOX_BACKEND: SandboxBackend = { name: "none", reason: "no sandbox backend" };

/** How one attempt runs: the state it reports and how its argv is wrapped. */
export type SandboxPlan = {
  mode: SandboxMode | null;
  state: SandboxState;
  /** The backend enforcing the sandbox (`bubblewrap`); null when the attempt runs unsandboxed. */
  backend: "bubblewrap" | null;
  networkBlocked: boolean;
  /** Set when a sandbox was asked for but cannot be enforced here. */
  warning?: string;
  wrapArgv(argv: readonly string[], cwd: string, env?: Record<string, string | undefined>): string[];
};

const identity = (argv: readonly string[]): string[] => [...argv];

/**
 * The plan for an attempt. `read-only`/`workspace-write` with bubblewrap: enforced, `sandboxed`. Without a backend
 * (or for a command that cannot be wrapped, such as one typed into a live PTY shell): `unsandboxed`, honestly, with a
 * warning. `danger-full-access` or no mode: `unsandboxed`. `escalated`: a retry that left the sandbox.
 */
export function planSandbox(input: {
  mode: SandboxMode | null;
  backend: SandboxBackend | null;
  writableRoots?: readonly string[];
  networkAllowed?: boolean;
  sandboxable?: boolean;
  escalated?: boolean;
}): SandboxPlan {
  if (input.escalated === true) {
    return { mode: "danger-full-access", state: "escalated", backend: null, networkBlocked: false, wrapArgv: identity };
  }
  const mode = input.mode;
  if (mode === null || mode === "danger-full-access") {
    return { mode, state: "unsandboxed", backend: null, networkBlocked: false, wrapArgv: identity };
  }
  const backend = input.backend ?? NO_SANDBOX_BACKEND;
  if (input.sandboxable === false || backend.name === "none") {
    const why =
      input.sandboxable === false || backend.name !== "none" ? "this command runs in a live shell session" : backend.reason;
    return {
      mode,
      state: "unsandboxed",
      backend: null,
      networkBlocked: false,
      warning: `Sandbox ${mode} requested but not enforced (${why}); the command runs unsandboxed.`,
      wrapArgv: identity,
    };
  }
  const networkBlocked = input.networkAllowed !== true;
  const writable = mode === "workspace-write" ? input.writableRoots ?? [] : [];
  return {
    mode,
    state: "sandboxed",
    backend: backend.name,
    networkBlocked,
    wrapArgv: (argv, cwd, env) => {
      // A program that cannot be found is left to the runner's own spawn error (127/126): nothing runs either way,
      // and bwrap would report it as a plain exit 1.
      if (resolveProgram(argv[0] ?? "", cwd, env?.PATH ?? process.env.PATH ?? "") === null) return [...argv];
      return bubblewrapArgv({ backend, mode, argv, cwd, writableRoots: [cwd, ...writable], networkBlocked });
    },
  };
}

/** The bubblewrap command line for one attempt. */
export function bubblewrapArgv(input: {
  backend: { path: string };
  mode: "read-only" | "workspace-write";
  argv: readonly string[];
  cwd: string;
  writableRoots: readonly string[];
  networkBlocked: boolean;
}): string[] {
  const args = [input.backend.path, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"];
  if (input.mode === "workspace-write") {
    const roots = new Set<string>();
    for (const root of [...input.writableRoots, "/tmp", tmpdir()]) {
      const real = realOrNull(root);
      if (real !== null && real !== "/") roots.add(real);
    }
    for (const root of roots) args.push("--bind", root, root);
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

let detected: Promise<SandboxBackend> | null = null;

/**
 * Finds a working sandbox backend once per process: Linux with `bwrap` on PATH that can actually build the
 * sandbox (user namespaces may be disabled). The probe runs the same mounts as a real attempt, so a backend that
 * would fail at every command is reported as absent instead.
 */
export function detectSandboxBackend(env: Record<string, string | undefined> = process.env): Promise<SandboxBackend> {
  detected ??= probe(env);
  return detected;
}

async function probe(env: Record<string, string | undefined>): Promise<SandboxBackend> {
  if (process.platform !== "linux") return { name: "none", reason: `no sandbox backend on ${process.platform}` };
  const path = resolveProgram("bwrap", "/", env.PATH ?? "");
  if (path === null || !existsSync(path)) return { name: "none", reason: "bubblewrap (bwrap) not found on PATH" };
  const argv = bubblewrapArgv({
    backend: { path },
    mode: "read-only",
    argv: ["/bin/sh", "-c", ":"],
    cwd: "/",
    writableRoots: [],
    networkBlocked: true,
  });
  const error = await run(argv);
  if (error === null) return { name: "bubblewrap", path };
  return { name: "none", reason: `bubblewrap cannot create a sandbox here: ${error}` };
}

function run(argv: string[]): Promise<string | null> {
  return new Promise((done) => {
    execFile(argv[0] as string, argv.slice(1), { timeout: 5000 }, (error, _stdout, stderr) => {
      if (error === null) return done(null);
      done((String(stderr).trim().split("\n")[0] ?? "") || error.message);
    });
  });
}
