import type { ArgsDef } from "citty";
import { type AnyCommand, COMMANDS } from "./registry.ts";

/** Top-level help (SPEC §4.1): starts with the usage line, lists every command and its options. */
export async function renderHelp(): Promise<string> {
  const lines = [
    "Usage: codex-orchestrator <command> [options]",
    "",
    "Runs repository pipelines and single commands, recording every run under .runs/ and out/.",
    "",
    "Commands:",
  ];
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  for (const c of COMMANDS) lines.push(`  ${c.name.padEnd(width)}${c.summary}`);
  lines.push("  help".padEnd(width + 2) + "Show this help.");
  for (const c of COMMANDS) {
    const def = await c.load();
    lines.push("", await renderCommandUsage(c.name, def));
  }
  lines.push(
    "",
    "Global options:",
    "  -h, --help       Show help (also after a command).",
    "  --version        Print the version.",
    "",
    "exec prints JSONL events by default; it shows a live view only when stdout and stderr are both terminals.",
    "Options take --key value or --key=value; boolean options never consume the next argument.",
    "Environment: CODEX_ORCHESTRATOR_ROOT, CODEX_ORCHESTRATOR_RUNS_DIR, CODEX_ORCHESTRATOR_OUT_DIR, MCP_RUNNER_TASK_ID,",
    "  CODEX_ORCHESTRATOR_NOTIFY, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, TRACEPARENT.",
    "Exit codes: 0 success, 1 run failed, 2 bad input, n the exec'd command's code, 128+n signal, 130/143 cancelled.",
  );
  return lines.join("\n") + "\n";
}

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
