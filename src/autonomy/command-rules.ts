import type { CommandRuleConfig, RuleDecision } from "../core/schemas/command-policy.ts";
import { basename, shellWords } from "./shell-words.ts";

/** A rule ready to match: its words, and where it was written (`<config path>#/rules/<n>`) for records and messages. */
export type CommandRule = {
  match: string[];
  decision: RuleDecision;
  justification: string | null;
  source: string;
};

/** The rule that decided a command, as the manifest records it (`toolRuns[].metadata.rule`). */
export type RuleMatch = CommandRule & {
  /** The simple command it matched (a command line can hold several). */
  command: string[];
};

const STRICTNESS: Record<RuleDecision, number> = { allow: 0, prompt: 1, forbidden: 2 };

/** Rules of one config file, in order, each knowing its JSON pointer. */
export function rulesFromConfig(rules: readonly CommandRuleConfig[] | undefined, path: string): CommandRule[] {
  return (rules ?? []).map((rule, index) => ({
    match: typeof rule.match === "string" ? shellWords(rule.match) : [...rule.match],
    decision: rule.decision,
    justification: rule.justification ?? null,
    source: `${path}#/rules/${index}`,
  }));
}

/**
 * The strictest rule matching any of the commands (forbidden > prompt > allow; the first written wins a tie), or
 * null when none matches. A rule matches a command whose words start with its words; a first word without a `/`
 * also matches a program given by path (`git` matches `/usr/bin/git`).
 */
export function matchRules(rules: readonly CommandRule[], commands: readonly (readonly string[])[]): RuleMatch | null {
  let best: RuleMatch | null = null;
  for (const rule of rules) {
    if (best !== null && STRICTNESS[rule.decision] <= STRICTNESS[best.decision]) continue;
    const command = commands.find((words) => startsWith(words, rule.match));
    if (command !== undefined) best = { ...rule, command: [...command] };
  }
  return best;
}

function startsWith(words: readonly string[], prefix: readonly string[]): boolean {
  if (prefix.length === 0 || words.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    const want = prefix[i] as string;
    const got = words[i] as string;
    if (got === want) continue;
    if (i === 0 && !want.includes("/") && basename(got) === want) continue;
    return false;
  }
  return true;
}

/** The record of a matched rule (no `source` path beyond the config file and pointer). */
export function ruleRecord(match: RuleMatch): Record<string, unknown> {
  return {
    match: match.match,
    decision: match.decision,
    justification: match.justification,
    source: match.source,
    command: match.command,
  };
}
