import { sandboxLabel } from "../autonomy/sandbox.ts";
import type { ToolOrchestrator } from "../autonomy/tool-orchestrator.ts";
import type { SandboxMode } from "../core/schemas/common.ts";
import { sessionShellArgv } from "../exec/pty-shell.ts";
import type { SessionSandbox } from "../exec/session-manager.ts";

/**
 * The sandbox a live session shell starts in (issue 15): the plan its command's invocation will get, applied to the
 * shell itself, so every command typed into it runs inside that sandbox and is recorded so. Null when the sandbox
 * cannot be enforced: the invocation then fails closed before anything runs, and no shell must be started for it.
 */
export async function sessionSandbox(
  orchestrator: ToolOrchestrator,
  input: { sandboxMode: SandboxMode | null; networkAllowed: boolean; writableRoots: readonly string[]; cwd: string; env: Record<string, string | undefined> },
): Promise<SessionSandbox | null> {
  const plan = await orchestrator.planSandbox(input);
  if (plan.state === "unavailable") return null;
  return { argv: plan.wrapArgv(sessionShellArgv(), input.cwd, input.env), label: sandboxLabel(plan) };
}
