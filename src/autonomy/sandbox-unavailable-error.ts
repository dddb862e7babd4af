import { RunFailedError } from "../core/errors.ts";
import type { SandboxMode } from "../core/schemas/common.ts";

/**
 * A sandbox was asked for and cannot be enforced here (issue 15): the command is not spawned (fail closed). Exit 1;
 * one line that says why and what to do. Running anyway is the explicit `--sandbox-fallback unsandboxed`.
 */
export class SandboxUnavailableError extends RunFailedError {
  readonly mode: SandboxMode;
  readonly reason: string;

  constructor(input: { mode: SandboxMode; reason: string }) {
    super(
      `Sandbox ${input.mode} cannot be enforced: ${input.reason}. Nothing was run; --sandbox-fallback unsandboxed runs it without a sandbox.`,
    );
    this.mode = input.mode;
    this.reason = input.reason;
  }
}
