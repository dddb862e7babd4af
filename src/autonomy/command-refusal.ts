import { RunFailedError } from "../core/errors.ts";
import type { RuleMatch } from "./command-rules.ts";
import type { HookVerdict } from "./exec-hooks.ts";

/**
 * A command that a `forbidden` rule or a preExec hook stopped before it ran (issue 19). Exit 1 like any refusal; the
 * stage runner records it in `toolRuns[]` with `approvalSource` `rule` / `hook` and no attempt.
 */
export class CommandRefusedError extends RunFailedError {
  readonly by: "rule" | "hook";
  readonly rule: RuleMatch | null;
  readonly hooks: HookVerdict[];
  readonly refusedAt: string;

  constructor(message: string, input: { by: "rule" | "hook"; rule: RuleMatch | null; hooks: HookVerdict[]; refusedAt: string }) {
    super(message);
    this.by = input.by;
    this.rule = input.rule;
    this.hooks = input.hooks;
    this.refusedAt = input.refusedAt;
  }
}

/** `Forbidden by rule git push (<config>#/rules/0): <justification>` */
export function ruleRefusal(rule: RuleMatch): string {
  const why = rule.justification === null || rule.justification === "" ? "" : `: ${rule.justification}`;
  return `Forbidden by rule '${rule.match.join(" ")}' (${rule.source})${why}`;
}
