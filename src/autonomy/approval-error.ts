import { RunFailedError } from "../core/errors.ts";
import { grantCommand } from "./approval-key.ts";

export type ApprovalFailure = "policy-forbids" | "no-prompter" | "denied";

/**
 * A command that needed approval and did not get it: nothing ran. Exit 1 (the run failed, no command exit code).
 * The message starts with the SPEC §16.1 sentence and names only the key (never the command's secrets).
 */
export class ApprovalError extends RunFailedError {
  readonly invocationId: string;
  readonly tool: string;
  readonly key: string;
  readonly reason: ApprovalFailure;

  constructor(input: { invocationId: string; tool: string; key: string; reason: ApprovalFailure }) {
    super(approvalFailureMessage(input.tool, input.key, input.reason));
    this.invocationId = input.invocationId;
    this.tool = input.tool;
    this.key = input.key;
    this.reason = input.reason;
  }
}

export function approvalFailureMessage(tool: string, key: string, reason: ApprovalFailure): string {
  switch (reason) {
    case "policy-forbids":
      return `Approval required for ${tool} but approval policy forbids new prompts. Approval key ${key}; grant it with: ${grantCommand(key)}`;
    case "no-prompter":
      return `Approval required for ${tool} but no approval prompter is available. Approval key ${key}; grant it with: ${grantCommand(key)}`;
    case "denied":
      return `Approval denied for ${tool}. Approval key ${key}.`;
  }
}
