import type { ArgsDef } from "citty";
import { UsageError } from "../core/errors.ts";
import { ApprovalPolicy, SandboxBackendChoice, SandboxFallback, SandboxMode, oneOf } from "../core/schemas/common.ts";
import { validateSessionId, validateTaskId } from "../core/ids.ts";
import { missingValueMessage } from "./args.ts";

export type ExecOutputMode = "interactive" | "json" | "jsonl";

export type ExecArgs = {
  argv: string[];
  mode: ExecOutputMode | null;
  jsonStyle: "pretty" | "compact";
  notify: string[];
  otelEndpoint?: string;
  cwd?: string;
  task?: string;
  tty: boolean;
  /** `--stdin` (true) / `--no-stdin` (false); null: pass stdin through unless it is a terminal (`resolveExecStdin`). */
  stdin: boolean | null;
  session?: string;
  sandbox?: string;
  sandboxNetwork: boolean;
  sandboxBackend?: string;
  sandboxFallback?: string;
  approvalPolicy?: string;
  requireApproval: boolean;
  timeoutSeconds?: number;
  outputSchema?: string;
  maxOutputBytes?: string;
  quiet: boolean;
  /** `--report` / `--report=false`; null: config `report` decides. */
  report: boolean | null;
};

const SANDBOX_MODES = SandboxMode.options;

/**
 * The options of `exec`, declared once (issue 16): citty renders `exec --help` from them, and the parser below takes
 * its option names and kinds from them. Enums come from the valibot picklists.
 */
export const EXEC_ARGS = {
  json: { type: "string", valueHint: "compact|pretty", description: "Print only the run:summary event (pretty by default)." },
  jsonl: { type: "boolean", description: "Stream every event as one JSON line." },
  notify: { type: "string", valueHint: "target", description: "Notification target (http(s)://… or cmd:<program>); repeatable, comma-separated." },
  "otel-endpoint": { type: "string", valueHint: "url", description: "OTLP/HTTP traces endpoint." },
  cwd: { type: "string", valueHint: "path", description: "Working directory of the command." },
  task: { type: "string", valueHint: "id", description: "Task id (default MCP_RUNNER_TASK_ID or 0101)." },
  tty: { type: "boolean", description: "Run the command on a pseudo-terminal." },
  stdin: { type: "boolean", description: "Pass this process's stdin to the command (default unless stdin is a terminal)." },
  "no-stdin": { type: "boolean", description: "The command's stdin is /dev/null." },
  session: { type: "string", valueHint: "id", description: "Run in the persistent PTY shell session <id> (implies --tty)." },
  sandbox: { type: "string", valueHint: "mode", description: `${SANDBOX_MODES.join(" | ")}.` },
  "sandbox-backend": {
    type: "string",
    valueHint: "name",
    description: `${SandboxBackendChoice.options.join(" | ")} (auto, the default: landlock where the kernel has it, else bwrap; seatbelt on macOS).`,
  },
  "sandbox-fallback": {
    type: "string",
    valueHint: "what",
    description: `${SandboxFallback.options.join(" | ")} (fail, the default: run nothing when the sandbox cannot be enforced).`,
  },
  "sandbox-network": { type: "boolean", description: "Keep the network on inside the sandbox (off by default)." },
  "approval-policy": { type: "string", valueHint: "policy", description: `${ApprovalPolicy.options.join(" | ")}.` },
  "require-approval": { type: "boolean", description: "The command needs approval before it runs." },
  timeout: { type: "string", valueHint: "seconds", description: "Stop the command after this many seconds." },
  "output-schema": { type: "string", valueHint: "file", description: "Validate stdout as JSON against a JSON Schema." },
  "max-output-bytes": { type: "string", valueHint: "size", description: "Output the run may leave in its logs (default 512MiB); the rest is dropped with a marker." },
  quiet: { type: "boolean", description: "Suppress the CLI's own warnings (and the interactive header/trailer)." },
  report: { type: "boolean", description: "Write report.html (timeline, output tails) into the run directory." },
} satisfies ArgsDef;

/** `--json [compact|pretty]` takes an optional value and `--no-stdin` none: both are parsed by hand below. */
const SPECIAL = new Set(["json", "no-stdin"]);
const STRING_OPTIONS = new Set(Object.entries(EXEC_ARGS).filter(([n, d]) => d.type === "string" && !SPECIAL.has(n)).map(([n]) => n));
const BOOLEAN_OPTIONS = new Set(Object.entries(EXEC_ARGS).filter(([n, d]) => d.type === "boolean" && !SPECIAL.has(n)).map(([n]) => n));
const SANDBOX_BACKENDS: readonly string[] = SandboxBackendChoice.options;
const SANDBOX_FALLBACKS: readonly string[] = SandboxFallback.options;

/** Whether `--<name>` takes `next` as its value, as `parseExecArgs` reads it (the CLI's `--help` check needs it). */
export function execOptionValueFollows(name: string, next: string | undefined): boolean {
  if (next === undefined || next.startsWith("--")) return false;
  if (name === "json") return next === "compact" || next === "pretty";
  return STRING_OPTIONS.has(name);
}

/**
 * `exec` parsing (SPEC §5.5): left to right; after a bare `--` everything belongs to the command; an argument not
 * starting with `--` is a command argument; options are recognised anywhere before `--`.
 */
export function parseExecArgs(raw: readonly string[]): ExecArgs {
  const out: ExecArgs = {
    argv: [],
    mode: null,
    jsonStyle: "pretty",
    notify: [],
    tty: false,
    stdin: null,
    requireApproval: false,
    quiet: false,
    sandboxNetwork: false,
    report: null,
  };
  const setMode = (mode: "json" | "jsonl") => {
    if (out.mode !== null && out.mode !== mode) throw new UsageError(`Cannot combine --${mode} with other output modes.`);
    out.mode = mode;
  };
  let i = 0;
  while (i < raw.length) {
    const arg = raw[i] as string;
    i++;
    if (arg === "--") {
      out.argv.push(...raw.slice(i));
      break;
    }
    if (!arg.startsWith("--")) {
      out.argv.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    if (name === "no-stdin") {
      if (inline !== undefined) throw new UsageError("--no-stdin takes no value.");
      out.stdin = false;
      continue;
    }
    if (name === "json") {
      setMode("json");
      if (inline !== undefined) {
        if (inline !== "compact" && inline !== "pretty") {
          throw new UsageError(`Invalid value for --json: ${inline} (expected compact or pretty).`);
        }
        out.jsonStyle = inline;
      } else if (raw[i] === "compact" || raw[i] === "pretty") {
        out.jsonStyle = raw[i] as "compact" | "pretty";
        i++;
      }
      continue;
    }
    if (BOOLEAN_OPTIONS.has(name)) {
      let value = true;
      if (inline === "false") value = false;
      else if (inline !== undefined && inline !== "true") {
        throw new UsageError(`Invalid value for --${name}: ${inline} (expected true or false).`);
      }
      if (name === "jsonl") {
        if (value) setMode("jsonl");
      } else if (name === "tty") out.tty = value;
      else if (name === "stdin") out.stdin = value;
      else if (name === "quiet") out.quiet = value;
      else if (name === "sandbox-network") out.sandboxNetwork = value;
      else if (name === "report") out.report = value;
      else out.requireApproval = value;
      continue;
    }
    if (!STRING_OPTIONS.has(name)) throw new UsageError(`Unknown exec option: --${name}`);
    let value = inline;
    if (value === undefined) {
      const next = raw[i];
      if (next !== undefined && !next.startsWith("--")) {
        value = next;
        i++;
      }
    }
    if (value === undefined || value === "") throw new UsageError(missingValueMessage(name));
    applyStringOption(out, name, value);
  }
  if (out.argv.length === 0) throw new UsageError("exec requires a command to run.");
  if (out.stdin === true && out.tty) {
    throw new UsageError(`Cannot combine --stdin with ${out.session === undefined ? "--tty" : "--session"} (the command's stdin is the pseudo-terminal).`);
  }
  return out;
}

/**
 * Whether the command gets the orchestrator's stdin (issue 22.10): `--stdin` / `--no-stdin`, else yes unless stdin is
 * a terminal (a command reading it would wait for the user, who is not expected to type) — and never under a TTY.
 */
export function resolveExecStdin(args: Pick<ExecArgs, "stdin" | "tty">, stdinIsTerminal: boolean): boolean {
  if (args.tty) return false;
  return args.stdin ?? !stdinIsTerminal;
}

function applyStringOption(out: ExecArgs, name: string, value: string): void {
  switch (name) {
    case "notify":
      for (const part of value.split(",")) {
        const target = part.trim();
        if (target !== "") out.notify.push(target);
      }
      return;
    case "otel-endpoint":
      out.otelEndpoint = value;
      return;
    case "cwd":
      out.cwd = value;
      return;
    case "task":
      out.task = validateTaskId(value, "--task");
      return;
    case "session":
      out.session = validateSessionId(value, "--session");
      out.tty = true;
      return;
    case "sandbox":
      if (!(SANDBOX_MODES as readonly string[]).includes(value)) {
        throw new UsageError(`Invalid value for --sandbox: ${value} (expected ${oneOf(SANDBOX_MODES)}).`);
      }
      out.sandbox = value;
      return;
    case "sandbox-backend":
      if (!SANDBOX_BACKENDS.includes(value)) {
        throw new UsageError(`Invalid value for --sandbox-backend: ${value} (expected ${oneOf(SANDBOX_BACKENDS)}).`);
      }
      out.sandboxBackend = value;
      return;
    case "sandbox-fallback":
      if (!SANDBOX_FALLBACKS.includes(value)) {
        throw new UsageError(`Invalid value for --sandbox-fallback: ${value} (expected ${oneOf(SANDBOX_FALLBACKS)}).`);
      }
      out.sandboxFallback = value;
      return;
    case "approval-policy":
      out.approvalPolicy = value;
      return;
    case "timeout": {
      const seconds = Number(value);
      if (!Number.isFinite(seconds) || seconds <= 0) {
        throw new UsageError(`Invalid value for --timeout: ${value} (expected a positive number of seconds).`);
      }
      out.timeoutSeconds = seconds;
      return;
    }
    case "output-schema":
      out.outputSchema = value;
      return;
    case "max-output-bytes":
      out.maxOutputBytes = value;
      return;
    default:
      // An option declared in EXEC_ARGS without a case here would be accepted and ignored.
      throw new Error(`exec option --${name} is declared but not handled`);
  }
}
