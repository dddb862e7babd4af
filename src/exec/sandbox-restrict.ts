import type { SandboxPolicy } from "../core/sandbox-policy.ts";
import { type OpenedPath, SandboxSetupError, applyLandlock, landlockPlan } from "./landlock.ts";
import { type SyscallTable, errnoName, lastErrno, loadLibc, sys } from "./libc.ts";
import { type SeccompFilter, buildSeccompFilter, installSeccomp } from "./seccomp.ts";

/**
 * Restricting the calling thread to a policy (issue 15): no_new_privs, the Landlock ruleset, the seccomp filter — all
 * three per thread, inherited by every process the thread starts afterwards and kept across `execve`, and none can be
 * undone. One sequence for the two places that do it: the sandbox helper (its main thread, before it `execve`s the
 * command: sandbox-helper.ts) and the sandbox thread (a worker thread of the orchestrator that then spawns the
 * commands: sandbox-thread-main.ts).
 */

const PR_SET_NO_NEW_PRIVS = 38;

/** What can be prepared before the policy is known: the fixed rules' paths opened, both filters laid out. */
export type RestrictPrepared = {
  opened?: Map<string, OpenedPath>;
  filters?: { networkOn: SeccompFilter; networkOff: SeccompFilter };
};

/** Throws SandboxSetupError (nothing half applied is left usable: the caller runs nothing after a throw). */
export function restrictThisThread(table: SyscallTable, abi: number, policy: SandboxPolicy, prepared: RestrictPrepared = {}): void {
  loadLibc();
  if (sys(table.prctl, PR_SET_NO_NEW_PRIVS, 1) !== 0) throw new SandboxSetupError(`PR_SET_NO_NEW_PRIVS failed (${errnoName(lastErrno())})`);
  const writable = policy.mode === "workspace-write" ? policy.writableRoots : [];
  applyLandlock(landlockPlan({ abi, writableRoots: writable, networkAllowed: policy.networkAllowed }), prepared.opened);
  const filter = prepared.filters?.[policy.networkAllowed ? "networkOn" : "networkOff"] ?? buildSeccompFilter(table, policy.networkAllowed);
  installSeccomp(table, filter);
}

/** The command's environment: the caller's, plus the markers that tell a sandboxed command where it runs. */
export function sandboxedCommandEnv(policy: SandboxPolicy, env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...env };
  out.CODEX_ORCHESTRATOR_SANDBOX = policy.mode;
  if (!policy.networkAllowed) out.CODEX_SANDBOX_NETWORK_DISABLED = "1";
  return out;
}
