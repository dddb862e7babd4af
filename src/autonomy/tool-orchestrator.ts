import { RunFailedError } from "../core/errors.ts";
import { confiningMode } from "../core/sandbox-policy.ts";
import type {
  ApprovalPolicy,
  ApprovalSource,
  SandboxBackendName,
  SandboxFallback,
  SandboxMode,
  SandboxState,
  ToolStatus,
} from "../core/schemas/common.ts";
import { ApprovalError } from "./approval-error.ts";
import { CommandRefusedError, ruleRefusal } from "./command-refusal.ts";
import { type CommandRule, type RuleMatch, matchRules } from "./command-rules.ts";
import { type ExecHooks, type HookVerdict, NO_HOOKS, hookRefusal, runHook } from "./exec-hooks.ts";
import { commandsOfArgv, commandsOfScript } from "./shell-words.ts";
import { seekApproval } from "./approval-gate.ts";
import { deriveApprovalKey, deriveEscalationKey, grantCommand } from "./approval-key.ts";
import type { ApprovalPrompter } from "./approval-prompter.ts";
import type { ApprovalStore } from "./approval-store.ts";
import { type AttemptClass, type AttemptResultLike, classifyAttempt } from "./attempt-classifier.ts";
import { BASE_DELAY_MS, MAX_ATTEMPTS, defaultSleep, retryDelayMs } from "./retry-policy.ts";
import { type SandboxBackend, type SandboxPlan, chooseSandboxBackend, planSandbox, probeBubblewrap } from "./sandbox.ts";
import { SandboxUnavailableError } from "./sandbox-unavailable-error.ts";

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
  /**
   * False for a command typed into a live session shell: the shell was started inside its sandbox, so a retry
   * cannot leave it (a denial ends with a hint instead of an escalation).
   */
  escalatable?: boolean;
  /** Writable under `workspace-write` besides the cwd, /tmp and $TMPDIR (e.g. the repository root). */
  writableRoots?: readonly string[];
  /**
   * What is spawned, for rules and hooks (issue 19): `sh -c <line>` is followed into the line. Without it the
   * `command` is taken as a shell line.
   */
  argv?: readonly string[];
  /** Fields handed to hooks besides argv, cwd and sandbox: run id, task, pipeline, stage, origin. */
  context?: Record<string, unknown>;
};

export type AttemptContext = {
  attempt: number;
  /** Where this invocation's approvals came from so far (for the attempt's span). */
  approvalSource: ApprovalSource;
  sandboxState: SandboxState;
  sandboxMode: SandboxMode | null;
  /** The backend enforcing this attempt's sandbox (null when it runs unsandboxed or escalated). */
  sandboxBackend: SandboxBackendName | null;
  landlockAbi: number | null;
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
  /** The backend of the last attempt (null when it ran unsandboxed or escalated) and the kernel's Landlock ABI. */
  sandboxBackend: SandboxBackendName | null;
  landlockAbi: number | null;
  /** Why the sandbox asked for was not in force (`--sandbox-fallback unsandboxed`). */
  sandboxReason?: string;
  status: ToolStatus;
  result: R;
  /** `Tool invocation <id> failed after <n> attempt(s).` when the last attempt was an error (not a plain exit). */
  error?: string;
  /** What would have let it continue (e.g. the grant command for an escalation). */
  hint?: string;
  /** The line to print when the command ran without the sandbox asked for (`--sandbox-fallback unsandboxed`). */
  sandboxWarning?: string;
  /** The config rule that matched the command (issue 19), null when none did. */
  rule: RuleMatch | null;
  /** What each preExec and postExec hook said. */
  hooks: HookVerdict[];
  /** A postExec hook failed or objected: the command ran, but its run fails (fail closed). */
  hookFailure?: string;
  startedAt: string;
  completedAt: string;
};

export type ToolOrchestratorOptions = {
  policy: ApprovalPolicy;
  approvalStore: ApprovalStore;
  /** `null` when there is no terminal to ask on. */
  prompter: ApprovalPrompter | null;
  /**
   * Backend lookup, called only when a command asks for a sandbox (default: bubblewrap, probed once; the CLI passes
   * the `--sandbox-backend` choice with the exec layer's Landlock probe).
   */
  sandbox?: () => Promise<SandboxBackend>;
  /** `--sandbox-fallback`: `fail` (default) runs nothing when the sandbox cannot be enforced; `unsandboxed` runs it. */
  sandboxFallback?: SandboxFallback;
  clock?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Called before waiting for each retry; the caller emits `exec:retry` from it. */
  onRetry?: (info: RetryInfo) => void | Promise<void>;
  maxAttempts?: number;
  baseDelayMs?: number;
  /** Config rules (issue 19), repo and user-global, in order. */
  rules?: readonly CommandRule[];
  /** preExec / postExec hooks (issue 19). */
  hooks?: ExecHooks;
  /** Where hooks run and with which environment (the repository root, the invocation's environment). */
  hookCwd?: string;
  hookEnv?: Record<string, string>;
};

/** What rules and preExec hooks decided before approval: strictest wins (forbidden/deny refuse at once). */
type Gate = { decision: "allow" | "prompt" | null; by: "rule" | "hook" | null; rule: RuleMatch | null; hooks: HookVerdict[] };

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
    // The sandbox first: a command that cannot be sandboxed as asked is not run, so nobody is asked to approve it.
    let plan = await this.initialPlan(invocation, mode);
    if (plan.state === "unavailable" && confiningMode(mode)) {
      throw new SandboxUnavailableError({ mode, reason: plan.reason ?? "no sandbox backend" });
    }
    const sandboxWarning = plan.warning;
    const sandboxReason = plan.reason;
    const approvals: ApprovalStep[] = [];
    const gate = await this.gate(invocation, mode);
    const approvalKey = await this.approveRun(invocation, mode, approvals, gate);
    // After approval: time spent waiting for a person is not command latency.
    const startedAt = this.clock().toISOString();

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
        approvalSource: sourceOf(approvals, gate),
        sandboxState: plan.state,
        sandboxMode: plan.mode,
        sandboxBackend: plan.backend,
        landlockAbi: plan.landlockAbi,
        wrapArgv: plan.wrapArgv,
      });
      lastClass = classifyAttempt(result, { sandboxState: plan.state, networkBlocked: plan.networkBlocked });
      finalState = lastClass.kind === "sandbox-failed" ? "failed" : plan.state;
      if (lastClass.kind === "succeeded" || lastClass.kind === "failed" || lastClass.kind === "spawn-failed") break;
      if (attempt >= maxAttempts) break;
      let next = plan;
      if (lastClass.kind === "denied" || lastClass.kind === "sandbox-failed") {
        if (invocation.escalatable === false) {
          hint =
            `The ${plan.mode} sandbox denied the command (${lastClass.reason}); a command in a live session cannot ` +
            "leave the session's sandbox: run it outside the session to escalate.";
          break;
        }
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
    const hooks = [...gate.hooks];
    let hookFailure: string | undefined;
    for (const hook of this.options.hooks?.postExec ?? []) {
      const input = { ...this.hookInput(invocation, mode), result: hookResult(result, finalState, attempt, lastClass.kind === "succeeded") };
      const verdict = await runHook(hook, input, this.hookOptions(invocation));
      hooks.push(verdict);
      if (verdict.decision === "deny" && hookFailure === undefined) {
        hookFailure =
          verdict.failure === null
            ? `postExec hook '${verdict.command}' objected: ${verdict.reason ?? "no reason given"} (${verdict.source}).`
            : `postExec hook '${verdict.command}' failed (${verdict.failure}) (${verdict.source}).`;
      }
    }
    return {
      invocationId: invocation.id,
      tool: invocation.tool,
      policy: this.policy,
      approvalSource: sourceOf(approvals, gate),
      approvals,
      approvalKey,
      attempts: attempt,
      retryCount: attempt - 1,
      requestedSandboxMode: mode,
      sandboxMode: plan.mode,
      sandboxState: finalState,
      sandboxBackend: plan.backend,
      landlockAbi: plan.landlockAbi,
      ...(sandboxReason !== undefined && plan.state === "unsandboxed" ? { sandboxReason } : {}),
      status: lastClass.kind === "succeeded" && hookFailure === undefined ? "succeeded" : "failed",
      result,
      ...(isError ? { error: `Tool invocation ${invocation.id} failed after ${attempt} attempt(s).` } : {}),
      ...(hint !== undefined ? { hint } : {}),
      ...(sandboxWarning !== undefined ? { sandboxWarning } : {}),
      rule: gate.rule,
      hooks,
      ...(hookFailure !== undefined ? { hookFailure } : {}),
      startedAt,
      completedAt: this.clock().toISOString(),
    };
  }

  /**
   * The sandbox plan an invocation's first attempt will get, for a caller that must start something in it first: a
   * live session shell is started inside the sandbox its commands are recorded in (issue 15). Same inputs, same plan
   * as `invoke` makes (the backend is probed once).
   */
  planSandbox(invocation: Pick<ToolInvocation, "sandboxMode" | "networkAllowed" | "writableRoots">): Promise<SandboxPlan> {
    return this.initialPlan(invocation, invocation.sandboxMode ?? null);
  }

  /** Approval before any attempt; throws ApprovalError (nothing runs) when it is not given. */
  private async approveRun(
    invocation: ToolInvocation,
    mode: SandboxMode | null,
    approvals: ApprovalStep[],
    gate: Gate,
  ): Promise<string | null> {
    // `untrusted`: every command needs approval, as in Codex — except what a rule or hook allows. An explicit
    // requirement (stage `approval.required`, `--require-approval`) and a `prompt` rule / `ask` hook are stricter
    // than an `allow`, so they still ask.
    const required =
      invocation.approvalRequired === true || gate.decision === "prompt" || (this.policy === "untrusted" && gate.decision !== "allow");
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

  /**
   * Rules, then preExec hooks (issue 19): a `forbidden` rule refuses before any hook runs; a hook that denies (or
   * fails) refuses; otherwise the strictest of what matched (`prompt`/`ask` over `allow`) goes on to approval.
   */
  private async gate(invocation: ToolInvocation, mode: SandboxMode | null): Promise<Gate> {
    const rules = this.options.rules ?? [];
    const preExec = (this.options.hooks ?? NO_HOOKS).preExec;
    const gate: Gate = { decision: null, by: null, rule: null, hooks: [] };
    if (rules.length === 0 && preExec.length === 0) return gate;
    if (rules.length > 0) {
      const commands = invocation.argv === undefined ? commandsOfScript(invocation.command) : commandsOfArgv(invocation.argv);
      gate.rule = matchRules(rules, commands);
    }
    const refuse = (message: string, by: "rule" | "hook"): never => {
      throw new CommandRefusedError(message, { by, rule: gate.rule, hooks: gate.hooks, refusedAt: this.clock().toISOString() });
    };
    if (gate.rule?.decision === "forbidden") refuse(ruleRefusal(gate.rule), "rule");
    if (gate.rule !== null) gate.decision = gate.rule.decision === "prompt" ? "prompt" : "allow";
    if (gate.rule !== null) gate.by = "rule";
    for (const hook of preExec) {
      const verdict = await runHook(hook, this.hookInput(invocation, mode), this.hookOptions(invocation));
      gate.hooks.push(verdict);
      if (verdict.decision === "deny") refuse(hookRefusal(verdict), "hook");
      if (verdict.decision === "ask" && gate.decision !== "prompt") {
        gate.decision = "prompt";
        gate.by = "hook";
      } else if (verdict.decision === "allow" && gate.decision === null) {
        gate.decision = "allow";
        gate.by = "hook";
      }
    }
    return gate;
  }

  private hookInput(invocation: ToolInvocation, mode: SandboxMode | null): Record<string, unknown> {
    return {
      ...invocation.context,
      tool: invocation.tool,
      invocationId: invocation.id,
      command: invocation.command,
      argv: invocation.argv ?? ["/bin/sh", "-c", invocation.command],
      cwd: invocation.cwd,
      sandbox: mode,
      approvalPolicy: this.policy,
    };
  }

  private hookOptions(invocation: ToolInvocation): { cwd: string; env: Record<string, string> } {
    return { cwd: this.options.hookCwd ?? invocation.cwd, env: this.options.hookEnv ?? {} };
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

  private async initialPlan(
    invocation: Pick<ToolInvocation, "networkAllowed" | "writableRoots">,
    mode: SandboxMode | null,
  ): Promise<SandboxPlan> {
    const wantsSandbox = confiningMode(mode);
    const backend = wantsSandbox ? await (this.options.sandbox ?? defaultBackend)() : null;
    return planSandbox({
      mode,
      backend,
      writableRoots: invocation.writableRoots ?? [],
      networkAllowed: invocation.networkAllowed === true,
      fallback: this.options.sandboxFallback ?? "fail",
    });
  }

  private approvalContext() {
    return { policy: this.policy, store: this.options.approvalStore, prompter: this.options.prompter };
  }
}

/** Without the CLI's choice: bubblewrap only (the Landlock probe lives in the exec layer, which the CLI brings). */
function defaultBackend(): Promise<SandboxBackend> {
  return chooseSandboxBackend({
    choice: "bwrap",
    landlock: () => ({ abi: 0, reason: "not probed" }),
    bubblewrap: () => probeBubblewrap(),
    helper: [],
  });
}

/**
 * `prompt` if any approval was asked, else `cache` if any came from the cache, else `rule` / `hook` when one allowed
 * the command, else `not-required`.
 */
function sourceOf(approvals: readonly ApprovalStep[], gate?: Gate): ApprovalSource {
  if (approvals.some((a) => a.source === "prompt")) return "prompt";
  if (approvals.length > 0) return "cache";
  if (gate?.decision === "allow" && gate.by !== null) return gate.by;
  return "not-required";
}

/** What a postExec hook is told about the command's end (output tails bounded: a hook reads it whole). */
function hookResult(result: AttemptResultLike, sandboxState: SandboxState, attempts: number, succeeded: boolean): Record<string, unknown> {
  const tail = (text: string | undefined) => (text === undefined ? "" : text.length > 8192 ? text.slice(-8192) : text);
  return {
    status: succeeded ? "succeeded" : "failed",
    exitCode: result.exitCode,
    signal: result.signal ?? null,
    spawnError: result.spawnError ?? null,
    attempts,
    sandboxState,
    stdout: tail(result.stdout),
    stderr: tail(result.stderr),
  };
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
