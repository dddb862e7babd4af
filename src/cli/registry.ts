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
  { name: "resume", summary: "Resume a failed, cancelled or stale run.", load: async () => (await import("./commands/resume.ts")).default },
  { name: "runs", summary: "List the runs of the store, or prune finished ones (--keep N, --older-than 7d).", load: async () => (await import("./commands/runs.ts")).default },
  { name: "cancel", summary: "Cancel an active run (same outcome as SIGTERM to its process).", load: async () => (await import("./commands/cancel.ts")).default },
  { name: "exec", summary: "Run one command and stream JSONL events (or a live view in a terminal).", load: async () => (await import("./commands/exec.ts")).default },
  { name: "spec-guard", summary: "Check that code changes come with fresh specs (tasks/specs, tasks/index.json).", load: async () => (await import("./commands/spec-guard.ts")).default },
  { name: "review", summary: "Hand the newest (or a given) run manifest to a reviewer.", load: async () => (await import("./commands/review.ts")).default },
  { name: "session", summary: "Manage live PTY shell sessions: start, list, exec, write, kill.", load: async () => (await import("./commands/session.ts")).default },
  { name: "approvals", summary: "Manage the global approval cache: list, grant <key>, revoke <key>.", load: async () => (await import("./commands/approvals.ts")).default },
  { name: "schema", summary: "Print the JSON Schema of the run manifest (or another published shape).", load: async () => (await import("./commands/schema.ts")).default },
];

/** Reserved names (SPEC §4.1, §5.8) not yet implemented: dispatching to them is an unknown command. */
export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}
