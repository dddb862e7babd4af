import { RunFailedError } from "../core/errors.ts";
import type { ApprovalPolicy, ApprovalSource, SandboxMode, SandboxState, ToolStatus } from "../core/schemas/common.ts";
import { ApprovalError } from "./approval-error.ts";
import { seekApproval } from "./approval-gate.ts";
import { deriveApprovalKey, deriveEscalationKey, grantCommand } from "./approval-key.ts";
import type { ApprovalPrompter } from "./approval-prompter.ts";
import type { ApprovalStore } from "./approval-store.ts";
import { type AttemptClass, type AttemptResultLike, classifyAttempt } from "./attempt-classifier.ts";
import { BASE_DELAY_MS, MAX_ATTEMPTS, defaultSleep, retryDelayMs } from "./retry-policy.ts";
import { type SandboxBackend, type SandboxPlan, detectSandboxBackend, planSandbox } from "./sandbox.ts";

/** One command to run (a pipeline stage or an `exec`), SPEC §16.1 plus what approval and the sandbox need. */
export type ToolInvocation = {
  id: string;
  tool: string;
  description: string;
  /** Display string of the command (exec) or the shell command line (stages): the approval key's input. */
  command: string;
  cwd: string;
  approvalRequired?: boolean;
  /** Given key (config `approval.key`); otherwise derived from {command, cwd, sandboxMode}. */
  approvalKey?: string | null;
  sandboxMode?: SandboxMode | null;
  networkAllowed?: boolean;
  /** False for a command typed into an existing PTY shell: it cannot be wrapped, so it runs unsandboxed. */
  sandboxable?: boolean;
  /** Writable under `workspace-write` besides the cwd, /tmp and $TMPDIR (e.g. the repository root). */
  writableRoots?: readonly string[];
};

export type AttemptContext = {
  attempt: number;
  /** Where this invocation's approvals came from so far (for the attempt's span). */
  approvalSource: ApprovalSource;
  sandboxState: SandboxState;
  sandboxMode: SandboxMode | null;
  /** Wraps the argv to spawn in the sandbox of this attempt (identity when unsandboxed). */
  wrapArgv(argv: readonly string[], cwd: string, env?: Record<string, string | undefined>): string[];
};

export type RetryInfo = {
  invocationId: string;
  /** The attempt that failed (1-based). */
  attempt: number;
  delayMs: number;
  /** State of the failed attempt (`exec:retry.sandboxState`). */
  sandboxState: SandboxState;
  nextSandboxState: SandboxState;
  errorMessage: string;
};

export type ApprovalStep = { kind: "run" | "escalate"; key: string; source: "cache" | "prompt" };

export type ToolOutcome<R> = {
  invocationId: string;
  tool: string;
  policy: ApprovalPolicy;
  /** `prompt` if any approval of this invocation was asked, else `cache` if any came from the cache. */
  approvalSource: ApprovalSource;
  approvals: ApprovalStep[];
  approvalKey: string | null;
  attempts: number;
  retryCount: number;
  /** The mode asked for (`--sandbox`, config); `null` = none. */
  requestedSandboxMode: SandboxMode | null;
  /** The mode of the last attempt (`danger-full-access` after an escalation). */
  sandboxMode: SandboxMode | null;
  sandboxState: SandboxState;
  /** What confined the first attempt: `bubblewrap`, or null when it ran unsandboxed (none asked for, or none here). */
  sandboxBackend: SandboxPlan["backend"];
  status: ToolStatus;
  result: R;
  /** `Tool invocation <id> failed after <n> attempt(s).` when the last attempt was an error (not a plain exit). */
  error?: string;
  /** What would have let it continue (e.g. the grant command for an escalation). */
  hint?: string;
  /** A sandbox was asked for but is not enforced here. */
  sandboxWarning?: string;
  startedAt: string;
  completedAt: string;
};

export type ToolOrchestratorOptions = {
  policy: ApprovalPolicy;
  approvalStore: ApprovalStore;
  /** `null` when there is no terminal to ask on. */
  prompter: ApprovalPrompter | null;
  /** Backend lookup, called only when a command asks for a sandbox (default: probe for bubblewrap once). */
  sandbox?: () => Promise<SandboxBackend>;
  clock?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Called before waiting for each retry; the caller emits `exec:retry` from it. */
  onRetry?: (info: RetryInfo) => void | Promise<void>;
  maxAttempts?: number;
  baseDelayMs?: number;
};

/**
 * Decides approval, picks the sandbox, runs attempts and retries escalated when the policy allows (SPEC §16,
 * issue 4). It never overrides the user's policy: `never` never asks, and escalation out of the sandbox needs a
 * cached grant or, under `on-failure`, a "yes" at the prompt.
 */
export class ToolOrchestrator {
  readonly policy: ApprovalPolicy;
  private readonly options: ToolOrchestratorOptions;
  private readonly clock: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: ToolOrchestratorOptions) {
    this.options = options;
    this.policy = options.policy;
    this.clock = options.clock ?? (() => new Date());
    this.sleep = options.sleep ?? defaultSleep;
  }

  async invoke<R extends AttemptResultLike>(
    invocation: ToolInvocation,
    runAttempt: (context: AttemptContext) => Promise<R>,
  ): Promise<ToolOutcome<R>> {
    if (!invocation.id) throw new RunFailedError("Tool invocation id is required.");
    if (!invocation.tool) throw new RunFailedError("Tool invocation tool name is required.");
    const mode = invocation.sandboxMode ?? null;
    const approvals: ApprovalStep[] = [];
    const approvalKey = await this.approveRun(invocation, mode, approvals);
    // After approval: time spent waiting for a person is not command latency.
    const startedAt = this.clock().toISOString();

    let plan = await this.initialPlan(invocation, mode);
    const sandboxWarning = plan.warning;
    const sandboxBackend = plan.backend;
    const maxAttempts = this.options.maxAttempts ?? MAX_ATTEMPTS;
    let attempt = 0;
    let result: R;
    let lastClass: AttemptClass;
    let hint: string | undefined;
    let finalState: SandboxState;
    for (;;) {
      attempt++;
      result = await runAttempt({
        attempt,
        approvalSource: sourceOf(approvals),
        sandboxState: plan.state,
        sandboxMode: plan.mode,
        wrapArgv: plan.wrapArgv,
      });
      lastClass = classifyAttempt(result, { sandboxState: plan.state, networkBlocked: plan.networkBlocked });
      finalState = lastClass.kind === "sandbox-failed" ? "failed" : plan.state;
      if (lastClass.kind === "succeeded" || lastClass.kind === "failed" || lastClass.kind === "spawn-failed") break;
      if (attempt >= maxAttempts) break;
      let next = plan;
      if (lastClass.kind === "denied" || lastClass.kind === "sandbox-failed") {
        const escalation = await this.approveEscalation(invocation, plan, lastClass.reason, approvals);
        if (escalation.hint !== undefined) {
          hint = escalation.hint;
          break;
        }
        next = planSandbox({ mode, backend: null, escalated: true });
      }
      const delayMs = retryDelayMs(attempt, this.options.baseDelayMs ?? BASE_DELAY_MS);
      await this.options.onRetry?.({
        invocationId: invocation.id,
        attempt,
        delayMs,
        sandboxState: finalState,
        nextSandboxState: next.state,
        errorMessage: retryMessage(lastClass, plan),
      });
      await this.sleep(delayMs);
      plan = next;
    }

    const isError = lastClass.kind !== "succeeded" && lastClass.kind !== "failed";
    return {
      invocationId: invocation.id,
      tool: invocation.tool,
      policy: this.policy,
      approvalSource: sourceOf(approvals),
      approvals,
      approvalKey,
      attempts: attempt,
      retryCount: attempt - 1,
      requestedSandboxMode: mode,
      sandboxMode: plan.mode,
      sandboxState: finalState,
      sandboxBackend,
      status: lastClass.kind === "succeeded" ? "succeeded" : "failed",
      result,
      ...(isError ? { error: `Tool invocation ${invocation.id} failed after ${attempt} attempt(s).` } : {}),
      ...(hint !== undefined ? { hint } : {}),
      ...(sandboxWarning !== undefined ? { sandboxWarning } : {}),
      startedAt,
      completedAt: this.clock().toISOString(),
    };
  }

  /** Approval before any attempt; throws ApprovalError (nothing runs) when it is not given. */
  private async approveRun(
    invocation: ToolInvocation,
    mode: SandboxMode | null,
    approvals: ApprovalStep[],
  ): Promise<string | null> {
    // `untrusted`: every command needs approval, as in Codex.
    const required = invocation.approvalRequired === true || this.policy === "untrusted";
    if (!required) return null;
    const key =
      invocation.approvalKey ??
      (invocation.command ? deriveApprovalKey({ command: invocation.command, cwd: invocation.cwd, sandboxMode: mode }) : null);
    if (!key) {
      throw new RunFailedError(`Tool invocation ${invocation.id} requires an approvalKey when approvalRequired is true.`);
    }
    const decision = await seekApproval(
      this.approvalContext(),
      { kind: "run", ...describe(invocation), key, sandboxMode: mode },
      { mayPrompt: true },
    );
    if (!decision.approved) {
      const reason = decision.reason === "policy-disallows" ? "policy-forbids" : decision.reason;
      throw new ApprovalError({ invocationId: invocation.id, tool: invocation.tool, key, reason });
    }
    approvals.push({ kind: "run", key, source: decision.source });
    return key;
  }

  /** Leaving the sandbox after a denial: a cached grant, or `on-failure` asking. Returns a hint when refused. */
  private async approveEscalation(
    invocation: ToolInvocation,
    plan: SandboxPlan,
    reason: string,
    approvals: ApprovalStep[],
  ): Promise<{ hint?: string }> {
    const key = deriveEscalationKey({ command: invocation.command, cwd: invocation.cwd });
    const decision = await seekApproval(
      this.approvalContext(),
      { kind: "escalate", ...describe(invocation), key, sandboxMode: plan.mode, reason },
      { mayPrompt: this.policy === "on-failure" },
    );
    if (decision.approved) {
      approvals.push({ kind: "escalate", key, source: decision.source });
      return {};
    }
    const what = `The ${plan.mode} sandbox denied the command (${reason})`;
    if (decision.reason === "denied") return { hint: `${what}; escalation was denied.` };
    return { hint: `${what}; to let it run without the sandbox: ${grantCommand(key)}` };
  }

  private async initialPlan(invocation: ToolInvocation, mode: SandboxMode | null): Promise<SandboxPlan> {
    const wantsSandbox = (mode === "read-only" || mode === "workspace-write") && invocation.sandboxable !== false;
    const backend = wantsSandbox ? await (this.options.sandbox ?? detectSandboxBackend)() : null;
    return planSandbox({
      mode,
      backend,
      writableRoots: invocation.writableRoots ?? [],
      networkAllowed: invocation.networkAllowed === true,
      sandboxable: invocation.sandboxable !== false,
    });
  }

  private approvalContext() {
    return { policy: this.policy, store: this.options.approvalStore, prompter: this.options.prompter };
  }
}

/** `prompt` if any approval was asked, else `cache` if any came from the cache, else `not-required`. */
function sourceOf(approvals: readonly ApprovalStep[]): ApprovalSource {
  if (approvals.some((a) => a.source === "prompt")) return "prompt";
  return approvals.length > 0 ? "cache" : "not-required";
}

function describe(invocation: ToolInvocation) {
  return { invocationId: invocation.id, tool: invocation.tool, description: invocation.description, cwd: invocation.cwd };
}

function retryMessage(cls: AttemptClass, plan: SandboxPlan): string {
  switch (cls.kind) {
    case "denied":
      return `Sandbox ${plan.mode} denied the command (${cls.reason}); retrying without the sandbox.`;
    case "sandbox-failed":
      return `Sandbox ${plan.mode} could not start (${cls.reason}); retrying without the sandbox.`;
    case "transient":
      return `Transient error: ${cls.reason}`;
    default:
      return "Attempt failed.";
  }
}
