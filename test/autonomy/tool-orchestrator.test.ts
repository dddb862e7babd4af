// ToolOrchestrator: attempts, retries, escalation out of a real bubblewrap sandbox, and the records it yields.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { deriveEscalationKey } from "../../src/autonomy/approval-key.ts";
import { computeApprovalReuse } from "../../src/autonomy/approval-metrics.ts";
import type { ApprovalPrompter, ApprovalRequest } from "../../src/autonomy/approval-prompter.ts";
import { MemoryApprovalStore } from "../../src/autonomy/approval-store.ts";
import { NO_SANDBOX_BACKEND, chooseSandboxBackend, probeBubblewrap } from "../../src/autonomy/sandbox.ts";
import { SandboxUnavailableError } from "../../src/autonomy/sandbox-unavailable-error.ts";

/** The bubblewrap backend, as the CLI's lookup finds it with `--sandbox-backend bwrap`. */
const bubblewrapBackend = () =>
  chooseSandboxBackend({ choice: "bwrap", landlock: () => ({ abi: 0, reason: "unused" }), bubblewrap: () => probeBubblewrap(), helper: [] });
import { type RetryInfo, type ToolInvocation, ToolOrchestrator } from "../../src/autonomy/tool-orchestrator.ts";
import { buildToolRunRecord, sanitizeToolRunRecord, toolInvocationId, upsertToolRun } from "../../src/autonomy/tool-run-record.ts";
import { ToolRunRecord } from "../../src/core/schemas/tool-run.ts";
import { scratchDir } from "../helpers/cli.ts";
import { runDriver } from "./fixtures/run-driver.ts";
import { spawnAttempt } from "./fixtures/spawn-attempt.ts";
import { needsProgram } from "../helpers/needs-program.ts";

const bwrap = needsProgram("bwrap", "apt-get install bubblewrap");

let root = "";
let workspace = "";
let outside = "";
beforeAll(() => {
  // Outside /tmp, which workspace-write leaves writable.
  root = mkdtempSync("/var/tmp/co-orchestrator-");
  workspace = join(root, "ws");
  outside = join(root, "outside");
  mkdirSync(workspace);
  mkdirSync(outside);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A prompter that records whether it was ever asked (used to prove `never` asks nobody). */
function recordingPrompter(answer: "once" | "always" | "deny" = "once") {
  const asked: ApprovalRequest[] = [];
  const prompter: ApprovalPrompter = {
    ask: async (request) => {
      asked.push(request);
      return answer;
    },
  };
  return { asked, prompter };
}

function harness(options: Partial<ConstructorParameters<typeof ToolOrchestrator>[0]> = {}) {
  const retries: RetryInfo[] = [];
  const sleeps: number[] = [];
  const orchestrator = new ToolOrchestrator({
    policy: "on-request",
    approvalStore: new MemoryApprovalStore(),
    prompter: null,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    onRetry: (info) => {
      retries.push(info);
    },
    ...options,
  });
  return { orchestrator, retries, sleeps };
}

function invocation(command: string, extra: Partial<ToolInvocation> = {}): ToolInvocation {
  return { id: "cli-command:r:exec:1", tool: "cli:command", description: `Execute ${command}`, command, cwd: workspace, ...extra };
}

const shell = (command: string) => (ctx: { wrapArgv(argv: readonly string[], cwd: string): string[] }) =>
  spawnAttempt(ctx.wrapArgv(["/bin/sh", "-c", command], workspace), workspace);

describe("attempts and retries", () => {
  test("invocation id and tool are required (SPEC §16.1 messages)", async () => {
    const { orchestrator } = harness();
    await expect(orchestrator.invoke(invocation("true", { id: "" }), shell("true"))).rejects.toThrow("Tool invocation id is required.");
    await expect(orchestrator.invoke(invocation("true", { tool: "" }), shell("true"))).rejects.toThrow(
      "Tool invocation tool name is required.",
    );
  });

  test("a non-zero exit is the command's own failure: one attempt, no error, no retry", async () => {
    const { orchestrator, retries } = harness();
    const outcome = await orchestrator.invoke(invocation("exit 3"), shell("exit 3"));
    expect(outcome).toMatchObject({ attempts: 1, retryCount: 0, status: "failed", sandboxState: "unsandboxed" });
    expect(outcome.result.exitCode).toBe(3);
    expect(outcome.error).toBeUndefined();
    expect(retries).toEqual([]);
  });

  test("a spawn failure is an error that is not retried", async () => {
    const { orchestrator } = harness();
    const outcome = await orchestrator.invoke(invocation("x"), () => spawnAttempt(["co-no-such-program-xyz"], workspace));
    expect(outcome.status).toBe("failed");
    expect(outcome.error).toBe("Tool invocation cli-command:r:exec:1 failed after 1 attempt(s).");
  });

  test("a transient error is retried at most 3 times with 250 ms × 2^(n−1) backoff, onRetry before each wait", async () => {
    const { orchestrator, retries, sleeps } = harness();
    let calls = 0;
    const outcome = await orchestrator.invoke(invocation("x"), async (ctx) => {
      calls++;
      expect(ctx.attempt).toBe(calls);
      return { exitCode: 1, signal: null, stderr: "", spawnError: "spawn ETXTBSY" };
    });
    expect(outcome.attempts).toBe(3);
    expect(outcome.retryCount).toBe(2);
    expect(sleeps).toEqual([250, 500]);
    expect(retries.map((r) => [r.attempt, r.delayMs, r.sandboxState])).toEqual([
      [1, 250, "unsandboxed"],
      [2, 500, "unsandboxed"],
    ]);
    expect(outcome.error).toBe("Tool invocation cli-command:r:exec:1 failed after 3 attempt(s).");
  });
});

(process.platform === "linux" ? bwrap.describe : describe.skip)("escalation out of the real sandbox", () => {
  const target = () => join(outside, `f-${Math.random().toString(16).slice(2)}`);

  test("a denied command is retried escalated with a cached grant (retryCount 1, state escalated)", async () => {
    const file = target();
    const command = `echo hi > ${file}`;
    const store = new MemoryApprovalStore();
    await store.grant({ key: deriveEscalationKey({ command, cwd: workspace }), source: "cli" });
    const { orchestrator, retries, sleeps } = harness({ approvalStore: store, policy: "never" });
    const states: string[] = [];
    const outcome = await orchestrator.invoke(invocation(command, { sandboxMode: "workspace-write" }), async (ctx) => {
      states.push(ctx.sandboxState);
      return shell(command)(ctx);
    });
    expect(states).toEqual(["sandboxed", "escalated"]);
    expect(outcome).toMatchObject({
      attempts: 2,
      retryCount: 1,
      sandboxState: "escalated",
      sandboxMode: "danger-full-access",
      requestedSandboxMode: "workspace-write",
      status: "succeeded",
      approvalSource: "cache",
    });
    expect(existsSync(file)).toBe(true);
    expect(sleeps).toEqual([250]);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ attempt: 1, delayMs: 250, sandboxState: "sandboxed", nextSandboxState: "escalated" });
    expect(retries[0]?.errorMessage).toContain("Read-only file system");
  });

  test("without a grant, never neither prompts nor escalates: error plus the grant command", async () => {
    const file = target();
    const command = `echo hi > ${file}`;
    const { asked, prompter } = recordingPrompter();
    const { orchestrator, retries } = harness({ policy: "never", prompter });
    const outcome = await orchestrator.invoke(invocation(command, { sandboxMode: "workspace-write" }), shell(command));
    expect(asked).toEqual([]);
    expect(retries).toEqual([]);
    expect(outcome).toMatchObject({ attempts: 1, retryCount: 0, sandboxState: "sandboxed", status: "failed" });
    expect(outcome.error).toBe("Tool invocation cli-command:r:exec:1 failed after 1 attempt(s).");
    expect(outcome.hint).toContain(`codex-orchestrator approvals grant ${deriveEscalationKey({ command, cwd: workspace })}`);
    expect(existsSync(file)).toBe(false);
  });

  test("on-request does not ask to escalate; on-failure asks on a real terminal and retries escalated", async () => {
    const file = target();
    const command = `echo hi > ${file}`;
    const { asked, prompter } = recordingPrompter();
    const onRequest = harness({ policy: "on-request", prompter });
    const refused = await onRequest.orchestrator.invoke(invocation(command, { sandboxMode: "workspace-write" }), shell(command));
    expect(asked).toEqual([]);
    expect(refused.attempts).toBe(1);

    const state = scratchDir("co-autonomy-escalate-");
    try {
      const run = await runDriver({
        spec: { policy: "on-failure", approvalRequired: false, command, cwd: workspace, sandboxMode: "workspace-write" },
        stateHome: state,
        terminal: true,
        answer: "once",
      });
      expect(run.output).toContain("sandbox denied");
      expect(run.code).toBe(0);
      expect(run.result).toMatchObject({ attempts: 2, retryCount: 1, sandboxState: "escalated", approvalSource: "prompt" });
      expect(run.result.retries).toHaveLength(1);
      expect(existsSync(file)).toBe(true);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });

  test("an escalation denied at the prompt stays failed with the sandbox state", async () => {
    const command = `echo hi > ${target()}`;
    const { asked, prompter } = recordingPrompter("deny");
    const { orchestrator } = harness({ policy: "on-failure", prompter });
    const outcome = await orchestrator.invoke(invocation(command, { sandboxMode: "read-only" }), shell(command));
    expect(asked.map((a) => a.kind)).toEqual(["escalate"]);
    expect(outcome).toMatchObject({ attempts: 1, sandboxState: "sandboxed", status: "failed" });
    expect(outcome.hint).toContain("escalation was denied");
  });

  test("the backend is probed only when a command asks for a sandbox", async () => {
    let probes = 0;
    const { orchestrator } = harness({
      sandbox: async () => {
        probes++;
        return bubblewrapBackend();
      },
    });
    await orchestrator.invoke(invocation("true"), shell("true"));
    await orchestrator.invoke(invocation("true", { sandboxMode: "danger-full-access" }), shell("true"));
    expect(probes).toBe(0);
    const sandboxed = await orchestrator.invoke(invocation("true", { sandboxMode: "read-only" }), shell("true"));
    expect(probes).toBe(1);
    expect(sandboxed.sandboxState).toBe("sandboxed");
  });
});

describe("tool run records and approval reuse", () => {
  test("a record built from an outcome validates and carries the keys, never more", async () => {
    const store = new MemoryApprovalStore();
    const { orchestrator } = harness({
      approvalStore: store,
      policy: "never",
      sandbox: async () => NO_SANDBOX_BACKEND,
      sandboxFallback: "unsandboxed",
    });
    await store.grant({ key: "deploy", source: "cli" });
    const id = toolInvocationId("2025-11-04T02-45-12-345Z-abcdef01", "exec", 1762224312345);
    const outcome = await orchestrator.invoke(
      invocation("echo ok", { id, approvalRequired: true, approvalKey: "deploy", sandboxMode: "workspace-write" }),
      shell("echo ok"),
    );
    expect(outcome.sandboxWarning).toContain("not enforced");
    expect(outcome.sandboxReason).toBe("no sandbox backend; run unsandboxed (--sandbox-fallback unsandboxed)");
    const record = buildToolRunRecord(outcome, {
      stageId: "exec",
      pipelineId: "exec",
      runId: "2025-11-04T02-45-12-345Z-abcdef01",
      commandIndex: 1,
      command: "echo ok",
      args: [],
      cwd: workspace,
      sessionId: "s",
      correlationId: "c",
      persisted: false,
    });
    expect(v.is(ToolRunRecord, record)).toBe(true);
    expect(record).toMatchObject({
      id: "cli-command:2025-11-04T02-45-12-345Z-abcdef01:exec:1762224312345",
      tool: "cli:command",
      approvalSource: "cache",
      retryCount: 0,
      attemptCount: 1,
      sandboxState: "unsandboxed",
      sandboxBackend: null,
      sandboxReason: "no sandbox backend; run unsandboxed (--sandbox-fallback unsandboxed)",
      status: "succeeded",
    });
    expect(record.metadata).toMatchObject({ sandboxMode: "workspace-write", approvalPolicy: "never", approvalKey: "deploy" });
  });

  test("a sandbox that cannot be enforced: nothing runs and nobody is asked (fail closed, issue 15)", async () => {
    const { asked, prompter } = recordingPrompter("once");
    const { orchestrator } = harness({ policy: "untrusted", prompter, sandbox: async () => ({ name: "none", reason: "no backend here" }) });
    let attempts = 0;
    const run = orchestrator.invoke(invocation("true", { sandboxMode: "read-only" }), async () => {
      attempts++;
      return { exitCode: 0 };
    });
    await expect(run).rejects.toBeInstanceOf(SandboxUnavailableError);
    await expect(run).rejects.toThrow(
      "Sandbox read-only cannot be enforced: no backend here. Nothing was run; --sandbox-fallback unsandboxed runs it without a sandbox.",
    );
    expect([attempts, asked.length]).toEqual([0, 0]);
  });

  test("sanitize enforces id and tool; upsert merges by id", () => {
    expect(() => sanitizeToolRunRecord({ tool: "cli:command" })).toThrow("Tool run record must include an id.");
    expect(() => sanitizeToolRunRecord({ id: "x" })).toThrow("Tool run record must include a tool.");
    const base = { id: "a", tool: "t", approvalSource: "not-required", retryCount: -2, attemptCount: 0, sandboxState: "sandboxed", status: "failed", startedAt: "2025-01-01T00:00:00.000Z", completedAt: "2025-01-01T00:00:01.000Z", metadata: { stageId: "s", pipelineId: "p", runId: "r", commandIndex: 1, command: "c", args: [], cwd: "/", sessionId: "x", correlationId: "y", persisted: false } };
    const clean = sanitizeToolRunRecord(base);
    expect([clean.retryCount, clean.attemptCount]).toEqual([0, 1]);
    const merged = upsertToolRun([clean], { ...clean, status: "succeeded" });
    expect(merged).toHaveLength(1);
    expect(merged[0]?.status).toBe("succeeded");
  });

  test("approvalReuse = grants from cache ÷ approvals needed", () => {
    expect(computeApprovalReuse([])).toEqual({ approvalReuse: 0, approvalsNeeded: 0, approvalsFromCache: 0 });
    expect(
      computeApprovalReuse([
        { approvalSource: "cache" },
        { approvalSource: "prompt" },
        { approvalSource: "cache" },
        { approvalSource: "not-required" },
      ]),
    ).toEqual({ approvalReuse: 0.6667, approvalsNeeded: 3, approvalsFromCache: 2 });
  });
});
