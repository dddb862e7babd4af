import { ptr } from "bun:ffi";
import { type LandlockProbe, NO_LANDLOCK_TEST_ENV } from "../core/sandbox-backend.ts";
import { closeFd, errnoName, lastErrno, loadLibc, openPath, sys, syscallTable } from "./libc.ts";

/**
 * Landlock (issue 15): the kernel's unprivileged file-system (and TCP) access control, applied by the sandbox helper
 * to itself before it `execve`s the command. Rights are per ABI version: the ruleset handles every right the running
 * kernel knows, so what a rule does not grant is denied. See landlock(7), landlock_create_ruleset(2).
 */

// Filesystem rights (landlock(7), "Filesystem actions"), by the ABI that introduced them.
export const FS = {
  EXECUTE: 1n << 0n,
  WRITE_FILE: 1n << 1n,
  READ_FILE: 1n << 2n,
  READ_DIR: 1n << 3n,
  REMOVE_DIR: 1n << 4n,
  REMOVE_FILE: 1n << 5n,
  MAKE_CHAR: 1n << 6n,
  MAKE_DIR: 1n << 7n,
  MAKE_REG: 1n << 8n,
  MAKE_SOCK: 1n << 9n,
  MAKE_FIFO: 1n << 10n,
  MAKE_BLOCK: 1n << 11n,
  MAKE_SYM: 1n << 12n,
  /** ABI 2: link or rename a file into another directory. */
  REFER: 1n << 13n,
  /** ABI 3: truncate(2), O_TRUNC. */
  TRUNCATE: 1n << 14n,
  /** ABI 5: ioctl(2) on character and block devices (a PTY needs it). */
  IOCTL_DEV: 1n << 15n,
} as const;

// Network rights (ABI 4) and scopes (ABI 6).
const NET_BIND_TCP = 1n << 0n;
const NET_CONNECT_TCP = 1n << 1n;
const SCOPE_ABSTRACT_UNIX_SOCKET = 1n << 0n;
const SCOPE_SIGNAL = 1n << 1n;

const CREATE_RULESET_VERSION = 1;
const PR_GET_SECCOMP = 21;
const RULE_PATH_BENEATH = 1;

/** Rights that make sense on a file that is not a directory (anything else in a file's rule is EINVAL). */
const FILE_RIGHTS = FS.EXECUTE | FS.WRITE_FILE | FS.READ_FILE | FS.TRUNCATE | FS.IOCTL_DEV;
const READ_RIGHTS = FS.EXECUTE | FS.READ_FILE | FS.READ_DIR;

/** Every filesystem right the ABI handles. */
export function handledFsRights(abi: number): bigint {
  let rights = (1n << 13n) - 1n;
  if (abi >= 2) rights |= FS.REFER;
  if (abi >= 3) rights |= FS.TRUNCATE;
  if (abi >= 5) rights |= FS.IOCTL_DEV;
  return rights;
}

/**
 * The Landlock ABI of the running kernel: ≥ 1 when enabled, 0 when the kernel lacks it or it is disabled (ENOSYS,
 * EOPNOTSUPP), with the reason. `CODEX_ORCHESTRATOR_TEST_NO_LANDLOCK=1` forces "not available", so tests can prove the
 * fail-closed path on a kernel that has it. The helper probes again before it restricts itself.
 */
export function probeLandlockAbi(env: Record<string, string | undefined> = process.env): LandlockProbe {
  if (env[NO_LANDLOCK_TEST_ENV] === "1") return { abi: 0, reason: `disabled by ${NO_LANDLOCK_TEST_ENV}=1` };
  if (process.platform !== "linux") return { abi: 0, reason: `Landlock is Linux only (this is ${process.platform})` };
  const table = syscallTable();
  if (table === null) return { abi: 0, reason: `no syscall table for ${process.arch}` };
  try {
    loadLibc();
  } catch (error) {
    return { abi: 0, reason: (error as Error).message };
  }
  const abi = sys(table.landlockCreateRuleset, 0, 0, CREATE_RULESET_VERSION);
  if (abi >= 1) return { abi, reason: null };
  const errno = lastErrno();
  if (errno === 38) return { abi: 0, reason: "the kernel has no Landlock (ENOSYS)" };
  if (errno === 95) return { abi: 0, reason: "Landlock is disabled in this kernel (EOPNOTSUPP; add landlock to lsm=)" };
  return { abi: 0, reason: `Landlock probe failed (${errnoName(errno)})` };
}

const CREATE_RULESET_ERRATA = 2;
/** Erratum 2 of ABI 6 (landlock(7), "Errata"): signal scoping no longer blocks signals between a process's threads. */
const ERRATUM_SIGNALS_BETWEEN_THREADS = 1 << 1;

/**
 * Whether a Landlock-restricted thread may share a process with unrestricted ones (the sandbox thread,
 * sandbox-thread.ts). The ruleset scopes signals from ABI 6, and until erratum 2 was fixed (Linux 6.15, backported as
 * the erratum) that scope also stopped a restricted thread — or one it started, as the runtime's JIT and GC helpers can
 * be — from signalling the process's other threads. Below ABI 6 signals are not scoped at all.
 */
export function threadRestrictionSafe(abi: number): boolean {
  if (abi < 6) return true;
  const table = syscallTable();
  if (table === null) return false;
  const errata = sys(table.landlockCreateRuleset, 0, 0, CREATE_RULESET_ERRATA);
  return errata >= 0 && (errata & ERRATUM_SIGNALS_BETWEEN_THREADS) !== 0;
}

/**
 * Whether the kernel can install seccomp filters (the network filter needs them): PR_GET_SECCOMP answers on a kernel
 * built with CONFIG_SECCOMP and fails with EINVAL otherwise. No file is read: the sandbox thread loads no `node:fs`,
 * which would cost it ~2 ms of CPU beside the orchestrator's start (sandbox-thread-main.ts).
 */
export function seccompAvailable(): boolean {
  const table = syscallTable();
  if (table === null) return false;
  try {
    loadLibc();
  } catch {
    return false;
  }
  return sys(table.prctl, PR_GET_SECCOMP) >= 0;
}

/**
 * What the Landlock backend needs of this kernel: the ABI, and seccomp filters for the helper's network filter. The
 * orchestrator's probe and the waiting helper's report (sandbox-prespawn.ts) are both this.
 */
export function probeLandlockSandbox(env: Record<string, string | undefined> = process.env): LandlockProbe {
  const probe = probeLandlockAbi(env);
  if (probe.abi >= 1 && !seccompAvailable()) return { abi: 0, reason: "the kernel has no seccomp filters (CONFIG_SECCOMP_FILTER)" };
  return probe;
}

/** One path rule: `path` (followed if a symlink) gets `access`; a path that does not exist is skipped. */
export type PathRule = { path: string; access: bigint };

export type LandlockPlan = {
  abi: number;
  handledFs: bigint;
  handledNet: bigint;
  scoped: bigint;
  rules: PathRule[];
};

/**
 * The ruleset of a policy (pure, so tests can read it): read and execute everywhere; the terminal and null devices
 * read-write (with device ioctls from ABI 5, which a PTY needs); under `workspace-write` every right in the writable
 * roots. Without network: TCP bind/connect denied (ABI 4) and abstract Unix sockets of other domains unreachable
 * (ABI 6). Signals to processes outside the sandbox are always refused (ABI 6).
 */
export function landlockPlan(input: { abi: number; writableRoots: readonly string[]; networkAllowed: boolean }): LandlockPlan {
  const handledFs = handledFsRights(input.abi);
  const device = (FS.READ_FILE | FS.WRITE_FILE | FS.TRUNCATE | FS.IOCTL_DEV) & handledFs;
  const rules: PathRule[] = [{ path: "/", access: READ_RIGHTS }];
  for (const path of ["/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/dev/ptmx"]) rules.push({ path, access: device });
  rules.push({ path: "/dev/pts", access: device | FS.READ_DIR });
  for (const path of input.writableRoots) rules.push({ path, access: handledFs });
  const handledNet = !input.networkAllowed && input.abi >= 4 ? NET_BIND_TCP | NET_CONNECT_TCP : 0n;
  let scoped = 0n;
  if (input.abi >= 6) scoped = SCOPE_SIGNAL | (input.networkAllowed ? 0n : SCOPE_ABSTRACT_UNIX_SOCKET);
  return { abi: input.abi, handledFs, handledNet, scoped, rules };
}

/** A failure to set the sandbox up: the helper reports it and runs nothing. */
export class SandboxSetupError extends Error {}

/** A rule's path opened (`O_PATH`, close-on-exec) with its kind, ready to be added to a ruleset. */
export type OpenedPath = { fd: number; isDir: boolean };

/**
 * Opens the paths of rules ahead of `applyLandlock` (the sandbox helper does it for the policy-independent rules
 * before it waits for its command, to shorten the time from the command's arrival to its `execve`). A path that does
 * not exist is left out (nothing to allow). Throws SandboxSetupError, closing what it opened.
 */
export function openRulePaths(paths: readonly string[], into: Map<string, OpenedPath> = new Map()): Map<string, OpenedPath> {
  const table = syscallTable();
  if (table === null) throw new SandboxSetupError(`no syscall table for ${process.arch}`);
  for (const path of paths) {
    if (into.has(path)) continue;
    const handle = openPath(table, path);
    // A root that does not exist (no $TMPDIR, no /dev/tty node) has nothing to allow.
    if (handle === -2) continue;
    if (typeof handle === "number") {
      closeOpened(into);
      throw new SandboxSetupError(`cannot open ${path} for a Landlock rule (${errnoName(-handle)})`);
    }
    into.set(path, handle);
  }
  return into;
}

function closeOpened(opened: Map<string, OpenedPath>): void {
  const table = syscallTable();
  if (table !== null) for (const { fd } of opened.values()) closeFd(table, fd);
  opened.clear();
}

/** The paths of the rules every plan has (its writable roots aside): what can be opened before the policy is known. */
export const FIXED_RULE_PATHS: readonly string[] = landlockPlan({ abi: 1, writableRoots: [], networkAllowed: true }).rules.map((r) => r.path);

/**
 * Applies the plan to the calling thread (it must be the one that then `execve`s): creates the ruleset, adds the
 * rules, restricts. no_new_privs must already be set. Paths already in `opened` are used as they are, the others
 * opened now; all are closed at the end. Throws SandboxSetupError; never applies half a ruleset.
 */
export function applyLandlock(plan: LandlockPlan, opened: Map<string, OpenedPath> = new Map()): void {
  const table = syscallTable();
  if (table === null) throw new SandboxSetupError(`no syscall table for ${process.arch}`);
  try {
    openRulePaths(
      plan.rules.map((r) => r.path),
      opened,
    );
    // struct landlock_ruleset_attr { __u64 handled_access_fs, handled_access_net, scoped; } — its size tells the kernel
    // which fields we know, so an older ABI gets the prefix it understands.
    const attr = new BigUint64Array([plan.handledFs, plan.handledNet, plan.scoped]);
    const size = plan.abi >= 6 ? 24 : plan.abi >= 4 ? 16 : 8;
    const ruleset = sys(table.landlockCreateRuleset, ptr(attr), size, 0);
    if (ruleset < 0) throw new SandboxSetupError(`landlock_create_ruleset failed (${errnoName(lastErrno())})`);
    try {
      // struct landlock_path_beneath_attr { __u64 allowed_access; __s32 parent_fd; } __attribute__((packed)): 12 bytes.
      const rule = new DataView(new ArrayBuffer(16));
      const rulePtr = ptr(rule);
      for (const { path, access } of plan.rules) {
        const handle = opened.get(path);
        if (handle === undefined) continue;
        rule.setBigUint64(0, handle.isDir ? access : access & FILE_RIGHTS, true);
        rule.setInt32(8, handle.fd, true);
        if (sys(table.landlockAddRule, ruleset, RULE_PATH_BENEATH, rulePtr, 0) !== 0) {
          throw new SandboxSetupError(`landlock_add_rule ${path} failed (${errnoName(lastErrno())})`);
        }
      }
      if (sys(table.landlockRestrictSelf, ruleset, 0) !== 0) {
        throw new SandboxSetupError(`landlock_restrict_self failed (${errnoName(lastErrno())})`);
      }
    } finally {
      closeFd(table, ruleset);
    }
  } finally {
    closeOpened(opened);
  }
}
