import { ElicitResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { type ApprovalAnswer, type ApprovalPrompter, type ApprovalRequest, promptMessage } from "../autonomy/approval-prompter.ts";

/** Sends one request to the client in the context of the tool call being answered (its stream, over HTTP). */
export type ClientRequester = (request: { method: "elicitation/create"; params: Record<string, unknown> }) => Promise<unknown>;

/**
 * Approval through MCP elicitation (issue 19): the client shows the question to its user and answers once / always /
 * deny. A client that declines or cancels denies. Null when the client did not declare elicitation: nobody can be
 * asked, so an approval the policy requires is refused with the `approvals grant` command to run.
 */
export function elicitationPrompter(clientSupportsElicitation: boolean, send: ClientRequester): ApprovalPrompter | null {
  if (!clientSupportsElicitation) return null;
  return {
    async ask(request: ApprovalRequest): Promise<ApprovalAnswer> {
      const answer = ElicitResultSchema.parse(
        await send({
          method: "elicitation/create",
          params: {
            mode: "form",
            message: promptMessage(request),
            requestedSchema: {
              type: "object",
              properties: {
                decision: {
                  type: "string",
                  title: "Decision",
                  description: `Approve once, approve always (cache key ${request.key}), or deny`,
                  enum: ["once", "always", "deny"],
                  enumNames: ["Approve once", "Approve always", "Deny"],
                  default: "once",
                },
              },
              required: ["decision"],
            },
          },
        }),
      );
      if (answer.action !== "accept") return "deny";
      const decision = answer.content?.decision;
      return decision === "always" || decision === "deny" ? decision : "once";
    },
  };
}
