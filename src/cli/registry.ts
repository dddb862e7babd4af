import type { AnyCommand } from "./command-usage.ts";

/** A CLI command: citty's declaration plus how `main.ts` should load it (lazily, to keep start-up fast). */
export type CommandEntry = {
  name: string;
  summary: string;
  load: () => Promise<AnyCommand>;
};

export const COMMANDS: CommandEntry[] = [
  { name: "start", summary: "Run a pipeline (default: the config's defaultPipeline, else diagnostics).", load: async () => (await import("./commands/start.ts")).default },
  { name: "plan", summary: "Show the stages a pipeline would run; writes nothing.", load: async () => (await import("./commands/plan.ts")).default },
  { name: "status", summary: "Show the status of a run (--watch to follow it).", load: async () => (await import("./commands/status.ts")).default },
  { name: "report", summary: "Write a run's report: one self-contained HTML page (timeline, commands, output tails).", load: async () => (await import("./commands/report.ts")).default },
  { name: "merge", summary: "Merge the run directories of a pipeline's jobs (start --only) into one run record.", load: async () => (await import("./commands/merge.ts")).default },
  { name: "cache", summary: "Show or prune the stage cache: cache stats, cache prune [--max-bytes N | --all].", load: async () => (await import("./commands/cache.ts")).default },
  { name: "resume", summary: "Resume a failed, cancelled or stale run.", load: async () => (await import("./commands/resume.ts")).default },
  { name: "runs", summary: "List the runs of the store, or prune finished ones (--keep N, --older-than 7d).", load: async () => (await import("./commands/runs.ts")).default },
  { name: "cancel", summary: "Cancel an active run (same outcome as SIGTERM to its process).", load: async () => (await import("./commands/cancel.ts")).default },
  { name: "exec", summary: "Run one command and stream JSONL events (or a live view in a terminal).", load: async () => (await import("./commands/exec.ts")).default },
  { name: "spec-guard", summary: "Check that code changes come with fresh specs (tasks/specs, tasks/index.json).", load: async () => (await import("./commands/spec-guard.ts")).default },
  { name: "review", summary: "Hand the newest (or a given) run manifest to a reviewer.", load: async () => (await import("./commands/review.ts")).default },
  { name: "session", summary: "Manage live PTY shell sessions: start, list, exec, write, kill.", load: async () => (await import("./commands/session.ts")).default },
  { name: "approvals", summary: "Manage the global approval cache: list, grant <key>, revoke <key>.", load: async () => (await import("./commands/approvals.ts")).default },
  { name: "sandbox", summary: "Show which sandbox backends this machine supports: sandbox check [--format json].", load: async () => (await import("./commands/sandbox.ts")).default },
  { name: "mcp", summary: "Serve exec, sessions and pipelines to coding agents over MCP (stdio, or --http 127.0.0.1:PORT).", load: async () => (await import("./commands/mcp.ts")).default },
  { name: "schema", summary: "Print the JSON Schema of the run manifest (or another published shape).", load: async () => (await import("./commands/schema.ts")).default },
];

/** Reserved names (SPEC §4.1, §5.8) not yet implemented: dispatching to them is an unknown command. */
export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/**
 * The error line of an unknown command (issue 22.9): one line, with the nearest command name when one is close
 * (at most 2 edits, a swap of neighbours counting as one: `exce` → `exec`), instead of the whole help.
 */
export function unknownCommandLine(name: string): string {
  const suggestion = nearestCommand(name);
  return suggestion === null
    ? `Unknown command '${name}'. Run 'codex-orchestrator help' to list the commands.`
    : `Unknown command '${name}'. Did you mean '${suggestion}'?`;
}

function nearestCommand(name: string): string | null {
  let best: { name: string; distance: number } | null = null;
  for (const c of [...COMMANDS.map((c) => c.name), "help"]) {
    const distance = editDistance(name.toLowerCase(), c);
    if (distance <= Math.min(2, Math.floor(c.length / 2)) && (best === null || distance < best.distance)) best = { name: c, distance };
  }
  return best?.name ?? null;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of adjacent characters. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}
