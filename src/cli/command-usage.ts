import type { ArgsDef, CommandDef } from "citty";

/** Any command regardless of its args declaration (citty's types are invariant in the args shape). */
// biome-ignore lint/suspicious/noExplicitAny: a registry holds commands of every args shape
export type AnyCommand = CommandDef<any>;

const USAGE_LINES: Record<string, string> = {
  exec: "Usage: codex-orchestrator exec [options] [--] <command> [args...]",
  "spec-guard": "Usage: codex-orchestrator spec-guard [--dry-run]",
  review: "Usage: codex-orchestrator review [--manifest <path>] [--task <id>]",
  status: "Usage: codex-orchestrator status [--run] <run-id> [--task <id>] [--watch] [--interval <seconds>] [--format json|text]",
  resume: "Usage: codex-orchestrator resume [--run] <run-id> [--task <id>] [--token <t>] [--actor <name>] [--reason <text>] [--force]",
};

/** `<command> --help`: its usage line, description and options. */
export async function renderCommandUsage(name: string, def: AnyCommand): Promise<string> {
  const meta = typeof def.meta === "function" ? await def.meta() : await def.meta;
  const args: ArgsDef = (typeof def.args === "function" ? await def.args() : await def.args) ?? {};
  const positionals = Object.entries(args)
    .filter(([, a]) => a.type === "positional")
    .map(([key, a]) => (a.required ? `<${key}>` : `[${key}]`));
  // A command may carry its own usage line in `meta.usage` (citty ignores unknown meta keys).
  const usage = USAGE_LINES[name] ?? (meta as { usage?: string } | undefined)?.usage;
  const lines = [usage ?? `Usage: codex-orchestrator ${name} [options]${positionals.length ? ` ${positionals.join(" ")}` : ""}`];
  if (meta?.description) lines.push(`  ${meta.description}`);
  const options = Object.entries(args).filter(([, a]) => a.type !== "positional");
  if (options.length > 0) {
    lines.push("  Options:");
    for (const [key, a] of options) {
      const value = a.type === "boolean" ? "" : ` <${(a as { valueHint?: string }).valueHint ?? "value"}>`;
      lines.push(`    ${`--${key}${value}`.padEnd(28)}${a.description ?? ""}`);
    }
  }
  return lines.join("\n");
}
