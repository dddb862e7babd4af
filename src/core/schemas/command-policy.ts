import * as v from "valibot";

/**
 * What the people who run the agents decide about commands (issue 19), in `codex.orchestrator.json` and in the
 * user-global config: `rules` (argv-prefix rules, the strictest match wins) and `hooks` (programs asked before and
 * told after every command). Messages are the `<problem>` part of `Invalid config <path>: <pointer>: <problem>`.
 */

const anObject = <const E extends v.ObjectEntries>(entries: E) =>
  v.pipe(
    v.custom<Record<string, unknown>>((input) => typeof input === "object" && input !== null && !Array.isArray(input), "expected an object"),
    v.looseObject(entries, (issue) => (issue.input === undefined ? "is required" : "expected an object")),
  );

const nonEmptyWord = v.pipe(v.string("expected a non-empty string"), v.minLength(1, "expected a non-empty string"));

export const RULE_DECISIONS = ["allow", "prompt", "forbidden"] as const;
export const RuleDecision = v.picklist(RULE_DECISIONS, 'expected "allow", "prompt" or "forbidden"');
export type RuleDecision = v.InferOutput<typeof RuleDecision>;

/**
 * One rule: `match` is an argv prefix (`["git", "push"]`) or a command line split like a shell would (`"git push"`);
 * `decision` what happens to a command that starts with it; `justification` the reason given when it refuses or asks.
 */
export const CommandRuleConfig = anObject({
  match: v.union(
    [
      v.pipe(v.array(nonEmptyWord, "expected an array of non-empty strings"), v.minLength(1, "expected at least one word")),
      v.pipe(v.string(), v.check((s) => s.trim() !== "", "expected a non-empty command line")),
    ],
    'expected an argv prefix (["git", "push"]) or a command line ("git push")',
  ),
  decision: RuleDecision,
  justification: v.optional(v.string("expected a string")),
});
export type CommandRuleConfig = v.InferOutput<typeof CommandRuleConfig>;

export const CommandRules = v.array(CommandRuleConfig, "expected an array of rules");

/** Default time a hook may take before it counts as failed (and, before a command, denies it). */
export const DEFAULT_HOOK_TIMEOUT_SECONDS = 10;

/** One hook: a command line run by `/bin/sh -c`, or an argv run directly; it gets one JSON object on stdin. */
export const HookConfig = anObject({
  command: v.union(
    [
      v.pipe(v.string(), v.check((s) => s.trim() !== "", "expected a non-empty command")),
      v.pipe(v.array(nonEmptyWord, "expected an array of non-empty strings"), v.minLength(1, "expected at least one word")),
    ],
    "expected a command line or an argv array",
  ),
  timeout: v.optional(
    v.pipe(v.number("expected a positive number of seconds"), v.gtValue(0, "expected a positive number of seconds")),
  ),
});
export type HookConfig = v.InferOutput<typeof HookConfig>;

const HookList = v.array(HookConfig, "expected an array of hooks");

export const HooksConfig = anObject({
  /** Asked before each command: answers `{decision: allow|deny|ask, reason}`. */
  preExec: v.optional(HookList),
  /** Told after each command, with its result. */
  postExec: v.optional(HookList),
});
export type HooksConfig = v.InferOutput<typeof HooksConfig>;
