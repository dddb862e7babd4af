import type { ApprovalPolicy } from "../core/schemas/common.ts";
import type { ApprovalFailure } from "./approval-error.ts";
import type { ApprovalPrompter, ApprovalRequest } from "./approval-prompter.ts";
import type { ApprovalStore } from "./approval-store.ts";

export type ApprovalDecision =
  | { approved: true; source: "cache" | "prompt"; key: string }
  | { approved: false; reason: ApprovalFailure | "policy-disallows"; key: string };

/**
 * One approval: a cached grant always wins (even under `never`); otherwise `never` refuses at once, a policy that
 * does not allow asking refuses, no terminal refuses, and a person answers once / always / deny. "Always" is
 * written to the global cache before the command runs.
 */
export async function seekApproval(
  context: { policy: ApprovalPolicy; store: ApprovalStore; prompter: ApprovalPrompter | null },
  request: ApprovalRequest,
  options: { mayPrompt: boolean },
): Promise<ApprovalDecision> {
  const { key } = request;
  if ((await context.store.lookup(key)) !== undefined) return { approved: true, source: "cache", key };
  if (context.policy === "never") return { approved: false, reason: "policy-forbids", key };
  if (!options.mayPrompt) return { approved: false, reason: "policy-disallows", key };
  if (context.prompter === null) return { approved: false, reason: "no-prompter", key };
  const answer = await context.prompter.ask(request);
  if (answer === "deny") return { approved: false, reason: "denied", key };
  if (answer === "always") {
    await context.store.grant({
      key,
      source: "prompt",
      kind: request.kind,
      tool: request.tool,
      description: request.description,
      cwd: request.cwd,
      sandboxMode: request.kind === "escalate" ? "danger-full-access" : request.sandboxMode,
    });
  }
  return { approved: true, source: "prompt", key };
}
