import type { ArgsDef } from "citty";
import { UsageError } from "../core/errors.ts";

/** Messages for a string option given without a value (SPEC §4.2). */
const MISSING_VALUE: Record<string, string> = {
  task: "--task requires an identifier.",
  notify: "--notify requires a target URI.",
  "otel-endpoint": "--otel-endpoint requires a URL.",
  cwd: "--cwd requires a path.",
};

export function missingValueMessage(name: string): string {
  return MISSING_VALUE[name] ?? `--${name} requires a value.`;
}

/** Options that are collected (repeatable) rather than last-wins. */
const REPEATABLE = new Set(["notify"]);

export type ParsedArgs = {
  options: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
};

/**
 * Strict parser for every command except `exec` (SPEC §4.2): `--key value` ≡ `--key=value`, booleans never consume
 * the next argument, `--` ends options, unknown options and extra positionals are usage errors.
 */
export function parseStrict(commandName: string, def: ArgsDef, argv: readonly string[]): ParsedArgs {
  const options: ParsedArgs["options"] = {};
  const positionals: string[] = [];
  const maxPositionals = Object.values(def).filter((a) => a.type === "positional").length;
  let i = 0;
  let optionsEnded = false;
  while (i < argv.length) {
    const arg = argv[i] as string;
    i++;
    if (optionsEnded || !arg.startsWith("--") || arg === "-") {
      if (!optionsEnded && arg === "-h") {
        options.help = true;
        continue;
      }
      if (positionals.length >= maxPositionals) throw new UsageError(`Unexpected argument: ${arg}`);
      positionals.push(arg);
      continue;
    }
    if (arg === "--") {
      optionsEnded = true;
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    if (name === "help") {
      options.help = true;
      continue;
    }
    const spec = def[name];
    if (spec === undefined || spec.type === "positional") {
      throw new UsageError(`Unknown ${commandName} option: --${name}`);
    }
    if (spec.type === "boolean") {
      if (inline === undefined || inline === "true") options[name] = true;
      else if (inline === "false") options[name] = false;
      else throw new UsageError(`Invalid value for --${name}: ${inline} (expected true or false).`);
      continue;
    }
    let value: string | undefined = inline;
    if (value === undefined) {
      const next = argv[i];
      if (next !== undefined && !next.startsWith("--")) {
        value = next;
        i++;
      }
    }
    if (value === undefined || value === "") throw new UsageError(missingValueMessage(name));
    if (REPEATABLE.has(name)) {
      const list = (options[name] as string[] | undefined) ?? [];
      list.push(value);
      options[name] = list;
    } else {
      options[name] = value;
    }
  }
  return { options, positionals };
}

export function stringOption(parsed: ParsedArgs, name: string): string | undefined {
  const value = parsed.options[name];
  return typeof value === "string" ? value : undefined;
}

export function booleanOption(parsed: ParsedArgs, name: string): boolean {
  return parsed.options[name] === true;
}

export function listOption(parsed: ParsedArgs, name: string): string[] {
  const value = parsed.options[name];
  return Array.isArray(value) ? value : [];
}

export function formatOption(parsed: ParsedArgs): "json" | "text" {
  const value = stringOption(parsed, "format");
  if (value === undefined || value === "text") return "text";
  if (value === "json") return "json";
  throw new UsageError(`Invalid value for --format: ${value} (expected json or text).`);
}
