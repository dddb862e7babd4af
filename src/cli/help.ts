import { renderCommandUsage } from "./command-usage.ts";
import { COMMANDS } from "./registry.ts";

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
