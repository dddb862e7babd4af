import { resolve } from "node:path";
import type { ArgsDef } from "citty";
import { defineCommand } from "../define-command.ts";
import { ExitSignal, UsageError } from "../../core/errors.ts";
import { validateSessionId } from "../../core/ids.ts";
import { execInSession, killSession, listSessions, startSession, writeSession } from "../../exec/session-client.ts";
import { runSessionHost } from "../../exec/session-host.ts";
import { workingDirectoryProblem } from "../../exec/spawn-error.ts";
import type { SessionSummary } from "../../exec/session-protocol.ts";
import { effectiveTaskId, resolveStoreRoots } from "../../run/paths.ts";
import { type ParsedArgs, booleanOption, formatOption, parseStrict, stringOption } from "../args.ts";

const args = {
  action: { type: "positional", required: true, description: "start, list, exec, write or kill" },
  id: { type: "positional", required: false, description: "the session id (letters, digits, '.', '_', '-')" },
  input: { type: "positional", required: false, description: "exec: the command line; write: the characters to send" },
  task: { type: "string", valueHint: "id", description: "task whose sessions to use (default MCP_RUNNER_TASK_ID)" },
  cwd: { type: "string", valueHint: "path", description: "start/exec: working directory of a new session" },
  cols: { type: "string", valueHint: "n", description: "start: terminal width" },
  rows: { type: "string", valueHint: "n", description: "start: terminal height" },
  timeout: { type: "string", valueHint: "seconds", description: "exec: Ctrl-C the command after this long" },
  detach: { type: "boolean", description: "exec: return while the command keeps running (feed it with write)" },
  wait: { type: "string", valueHint: "ms", description: "write, exec --detach: how long to collect output" },
  enter: { type: "boolean", description: "write: press Enter after the characters" },
  format: { type: "string", valueHint: "json|text", description: "start/list output: text (default) or json" },
  runs: { type: "string", valueHint: "path", description: "(internal: host) runs root" },
} satisfies ArgsDef;

/** `session start | list | exec | write | kill`: live PTY shells served by the session host (issue 5). */
export default defineCommand({
  meta: {
    name: "session",
    description: "Live PTY shell sessions shared across invocations (cd, exports and shell state persist).",
    usage:
      "Usage: codex-orchestrator session start <id> [--cwd <path>] [--cols <n>] [--rows <n>] | list [--format json|text] | exec <id> [--timeout <s>] [--detach] [--] <command...> | write <id> <chars> [--enter] [--wait <ms>] | kill <id>",
  } as never,
  args,
  async run({ rawArgs }) {
    const dashes = rawArgs.indexOf("--");
    const head = dashes === -1 ? rawArgs : rawArgs.slice(0, dashes);
    const tail = dashes === -1 ? [] : rawArgs.slice(dashes + 1);
    const parsed = parseStrict("session", args, head);
    const [action, rawId, input] = parsed.positionals;
    if (action === "host") return host(parsed);
    const runs = resolveStoreRoots({ env: process.env, cwd: process.cwd() }).runs;
    const taskId = effectiveTaskId(stringOption(parsed, "task"), process.env);
    const cwd = directoryOption(parsed, "cwd");
    const base = { taskId, ...(cwd === undefined ? {} : { cwd }) };
    switch (action) {
      case "start": {
        const id = sessionId(action, rawId);
        noExtra(input, tail);
        const size = { ...intOption(parsed, "cols"), ...intOption(parsed, "rows") };
        const { created, session } = await startSession(runs, id, { ...base, ...size });
        if (formatOption(parsed) === "json") return print(`${JSON.stringify({ created, session }, null, 2)}\n`);
        return print(created ? `Session ${id} started (pid ${session.pid}).\n` : `Session ${id} is already running (pid ${session.pid}).\n`);
      }
      case "list": {
        if (rawId !== undefined) throw new UsageError(`Unexpected argument: ${rawId}`);
        noExtra(undefined, tail);
        const format = formatOption(parsed);
        const sessions = await listSessions(runs, taskId);
        return print(format === "json" ? `${JSON.stringify(sessions, null, 2)}\n` : renderList(sessions));
      }
      case "exec": {
        const id = sessionId(action, rawId);
        const words = input === undefined ? tail : [input, ...tail];
        if (words.length === 0) throw new UsageError("session exec requires a command.");
        const timeout = secondsOption(parsed, "timeout");
        const detach = booleanOption(parsed, "detach");
        const wait = intOption(parsed, "wait").wait;
        const result = await execInSession(runs, id, words.join(" "), {
          ...base,
          ...(timeout === undefined ? {} : { timeoutMs: timeout }),
          ...(detach ? { detach, ...(wait === undefined ? {} : { waitMs: wait }) } : { onData: (bytes) => process.stdout.write(bytes) }),
        });
        if (detach) {
          await print(result.output);
          if (result.running) process.stderr.write(`Still running in session ${id}; feed it with: codex-orchestrator session write ${id} <chars>\n`);
          else if (result.exitCode !== null) throw new ExitSignal(result.exitCode);
          return;
        }
        await print("");
        if (result.timedOut) process.stderr.write(`Command timed out after ${(timeout ?? 0) / 1000}s in session ${id}; it was interrupted.\n`);
        if (result.shellExited) process.stderr.write(`The shell of session ${id} exited; the next use starts a new one.\n`);
        if (result.exitCode !== 0) throw new ExitSignal(result.exitCode ?? 1);
        return;
      }
      case "write": {
        const id = sessionId(action, rawId);
        if (input === undefined && tail.length === 0) throw new UsageError("session write requires the characters to send.");
        const chars = (input === undefined ? tail : [input, ...tail]).join(" ") + (booleanOption(parsed, "enter") ? "\r" : "");
        const wait = intOption(parsed, "wait").wait;
        const result = await writeSession(runs, id, chars, { taskId, ...(wait === undefined ? {} : { waitMs: wait }) });
        return print(result.output);
      }
      case "kill": {
        const id = sessionId(action, rawId);
        noExtra(input, tail);
        await killSession(runs, id, { taskId });
        return print(`Session ${id} killed.\n`);
      }
      case undefined:
        throw new UsageError("session requires a subcommand: start, list, exec, write or kill.");
      default:
        throw new UsageError(`Unknown session subcommand: ${action} (expected start, list, exec, write or kill).`);
    }
  },
});

/** Hidden `session host --runs <path>`: the detached host process started on demand by the client. */
async function host(parsed: ParsedArgs): Promise<void> {
  const runsRoot = stringOption(parsed, "runs");
  if (runsRoot === undefined) throw new UsageError("session host requires --runs <path>.");
  await runSessionHost({ runsRoot, log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`) });
}

function sessionId(action: string, id: string | undefined): string {
  if (id === undefined) throw new UsageError(`session ${action} requires a session id.`);
  return validateSessionId(id, `the <id> argument of session ${action}`);
}

/** A directory option (`--cwd`): what it names must be a directory; one line naming the flag and value otherwise. */
function directoryOption(parsed: ParsedArgs, name: string): string | undefined {
  const raw = stringOption(parsed, name);
  if (raw === undefined) return undefined;
  const problem = workingDirectoryProblem(raw);
  if (problem === "is not a directory") throw new UsageError(`Invalid value for --${name}: ${raw} (not a directory).`);
  if (problem !== null) throw new UsageError(`Invalid value for --${name}: ${raw} (no such directory).`);
  return resolve(raw);
}

function noExtra(input: string | undefined, tail: string[]): void {
  const extra = input ?? tail[0];
  if (extra !== undefined) throw new UsageError(`Unexpected argument: ${extra}`);
}

function intOption(parsed: ParsedArgs, name: string): Record<string, number> {
  const raw = stringOption(parsed, name);
  if (raw === undefined) return {};
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 10_000_000) {
    throw new UsageError(`Invalid value for --${name}: ${raw} (expected a positive integer).`);
  }
  return { [name]: n };
}

/** A positive number of seconds, in milliseconds. */
function secondsOption(parsed: ParsedArgs, name: string): number | undefined {
  const raw = stringOption(parsed, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`Invalid value for --${name}: ${raw} (expected a positive number of seconds).`);
  return Math.round(n * 1000);
}

function renderList(sessions: SessionSummary[]): string {
  if (sessions.length === 0) return "No live sessions.\n";
  const rows = sessions.map((s) => [
    s.id,
    String(s.pid),
    s.busy ? `busy: ${s.currentCommand ?? ""}` : "idle",
    String(s.commandCount),
    s.lastExitCode === null ? "-" : String(s.lastExitCode),
    s.cwd,
  ]);
  const header = ["ID", "PID", "STATE", "COMMANDS", "LAST EXIT", "CWD"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join("  ");
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

function print(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (text === "") return resolve();
    process.stdout.write(text, () => resolve());
  });
}
