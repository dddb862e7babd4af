import { UsageError } from "../core/errors.ts";
import { APPROVAL_KEY_PATTERN } from "../core/schemas/approvals.ts";

/**
 * `node:crypto`, loaded the first time a key is derived (a command that needs approval): loading it costs ~5 ms,
 * which every other run would pay at start-up (issue 21).
 */
let nodeCrypto: typeof import("node:crypto") | null = null;

/**
 * The approval key of a command: sha256 over {command, cwd, sandbox mode}, 16 hex digits. The command text itself
 * never leaves the process through a key, so keys are safe in events, logs and spans.
 */
export function deriveApprovalKey(input: { command: string; cwd: string; sandboxMode: string | null }): string {
  const material = JSON.stringify(["codex-orchestrator/approval/v1", input.command, input.cwd, input.sandboxMode]);
  nodeCrypto ??= require("node:crypto") as typeof import("node:crypto");
  return nodeCrypto.createHash("sha256").update(material).digest("hex").slice(0, 16);
}

/** The key that grants running a command outside the sandbox: the same command at `danger-full-access`. */
export function deriveEscalationKey(input: { command: string; cwd: string }): string {
  return deriveApprovalKey({ ...input, sandboxMode: "danger-full-access" });
}

export function isApprovalKey(value: string): boolean {
  return APPROVAL_KEY_PATTERN.test(value);
}

export function validateApprovalKey(value: string, source: string): string {
  if (isApprovalKey(value)) return value;
  throw new UsageError(
    `Invalid approval key "${value}" from ${source}: expected 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit.`,
  );
}

/** The command a user runs to grant a key (named in every error that a grant would have avoided). */
export function grantCommand(key: string): string {
  return `codex-orchestrator approvals grant ${key}`;
}
