import { toJsonSchema } from "@valibot/to-json-schema";
import * as v from "valibot";

/**
 * The MCP tools' arguments and results (issue 19), declared once as valibot schemas: the server validates calls with
 * them and `tools/list` publishes the JSON Schemas generated from them.
 */

const describe = v.description;
const positiveInt = (max: number) => v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(max));
const SessionName = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "expected 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit"),
);
const Sandbox = v.picklist(["read-only", "workspace-write", "danger-full-access"]);
/** What write_stdin, session_kill take: a live shell's name, or the id a yielded exec returned (`proc:<n>`). */
const SessionRef = v.pipe(v.string(), v.minLength(1), v.maxLength(160));

export const MAX_YIELD_MS = 600_000;
export const DEFAULT_EXEC_YIELD_MS = 10_000;
export const DEFAULT_WRITE_YIELD_MS = 250;
export const DEFAULT_MAX_OUTPUT_BYTES = 32 * 1024;
export const MAX_OUTPUT_BYTES_LIMIT = 4 * 1024 * 1024;

export const ExecArgs = v.strictObject({
  command: v.pipe(
    v.union([v.pipe(v.array(v.string()), v.minLength(1)), v.pipe(v.string(), v.minLength(1))]),
    describe("argv (spawned directly, no shell) or one shell command line (run by /bin/sh -c, or typed into the session)"),
  ),
  cwd: v.optional(v.pipe(v.string(), describe("working directory, relative to the server's repository"))),
  timeout: v.optional(v.pipe(v.number(), v.gtValue(0), describe("seconds; then SIGTERM to the command's process group"))),
  sandbox: v.optional(v.pipe(Sandbox, describe("sandbox of the command; looser than the server's needs approval"))),
  session: v.optional(v.pipe(SessionName, describe("run in this live PTY shell (created on first use): cwd, exports and shell state persist"))),
  tty: v.optional(v.pipe(v.boolean(), describe("run on a fresh pseudo-terminal, so that write_stdin can type into it"))),
  yield_ms: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_YIELD_MS), describe("return after this long (default 10000) with the output so far and a session id if it still runs")),
  ),
  max_output_bytes: v.optional(
    v.pipe(positiveInt(MAX_OUTPUT_BYTES_LIMIT), describe("output returned at most (default 32768): its head and tail, with a marker of what was cut")),
  ),
  require_approval: v.optional(v.pipe(v.boolean(), describe("ask the user before running it"))),
});
export type ExecArgs = v.InferOutput<typeof ExecArgs>;

export const WriteStdinArgs = v.strictObject({
  session: v.pipe(SessionRef, describe("the session id an exec returned, or the name of a live shell session")),
  chars: v.pipe(v.string(), describe("characters to type (\\n or \\r is Enter, \\u0003 Ctrl-C); empty only polls")),
  yield_ms: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_YIELD_MS), describe("how long to wait for output (default 250)"))),
  max_output_bytes: v.optional(positiveInt(MAX_OUTPUT_BYTES_LIMIT)),
});
export type WriteStdinArgs = v.InferOutput<typeof WriteStdinArgs>;

export const SessionListArgs = v.strictObject({});
export const SessionKillArgs = v.strictObject({ session: SessionRef });
export type SessionKillArgs = v.InferOutput<typeof SessionKillArgs>;

export const StartArgs = v.strictObject({
  pipeline: v.optional(v.pipe(v.string(), v.minLength(1), describe("pipeline id (default: the config's defaultPipeline, else diagnostics)"))),
  parent_run: v.optional(v.pipe(v.string(), describe("stored as the run's parent_run_id"))),
});
export type StartArgs = v.InferOutput<typeof StartArgs>;

export const PlanArgs = v.strictObject({
  pipeline: v.optional(v.pipe(v.string(), v.minLength(1))),
});
export type PlanArgs = v.InferOutput<typeof PlanArgs>;

export const StatusArgs = v.strictObject({
  run_id: v.optional(v.pipe(v.string(), describe("the run (default: the task's newest)"))),
});
export type StatusArgs = v.InferOutput<typeof StatusArgs>;

export const ResumeArgs = v.strictObject({
  run_id: v.string(),
  token: v.optional(v.pipe(v.string(), describe("must match the run's resume token when given"))),
  reason: v.optional(v.string()),
  force: v.optional(v.pipe(v.boolean(), describe("resume even if the run's heartbeat is fresh"))),
});
export type ResumeArgs = v.InferOutput<typeof ResumeArgs>;

/** What `exec` and `write_stdin` answer. */
export const ExecResult = v.object({
  status: v.picklist(["running", "succeeded", "failed", "cancelled"]),
  /** The id to pass to write_stdin / session_kill while the command runs; null once it ended. */
  session: v.nullable(v.string()),
  exit_code: v.nullable(v.number()),
  signal: v.nullable(v.string()),
  timed_out: v.boolean(),
  /** Output since the last read: stdout and stderr as they came, head and tail kept. */
  output: v.string(),
  output_bytes: v.number(),
  truncated: v.boolean(),
  run_id: v.nullable(v.string()),
  manifest: v.nullable(v.string()),
  /** Why it did not run or what failed it besides its exit code. */
  error: v.nullable(v.string()),
  duration_ms: v.number(),
});
export type ExecResult = v.InferOutput<typeof ExecResult>;

export const PipelineResult = v.object({
  run_id: v.string(),
  status: v.picklist(["succeeded", "failed", "cancelled"]),
  exit_code: v.number(),
  manifest: v.string(),
  log: v.string(),
  failure: v.nullable(v.record(v.string(), v.unknown())),
});
export type PipelineResult = v.InferOutput<typeof PipelineResult>;

export type ToolDefinition = {
  name: string;
  title: string;
  description: string;
  args: v.GenericSchema;
  result?: v.GenericSchema;
  readOnly: boolean;
};

export const TOOLS: ToolDefinition[] = [
  {
    name: "exec",
    title: "Run a command",
    description:
      "Run one command as a recorded run (.runs/, manifest, toolRuns), under the approval policy, rules, hooks and sandbox. " +
      "Returns the exit code and bounded output; a command still running after yield_ms returns its output so far and a session id for write_stdin.",
    args: ExecArgs,
    result: ExecResult,
    readOnly: false,
  },
  {
    name: "write_stdin",
    title: "Type into a running command",
    description: "Type characters into a running command (a yielded exec) or a live shell session; returns the output since the last read, and the exit code once it ended.",
    args: WriteStdinArgs,
    result: ExecResult,
    readOnly: false,
  },
  { name: "session_list", title: "List sessions", description: "The running commands of this server and the live shell sessions of the task.", args: SessionListArgs, readOnly: true },
  { name: "session_kill", title: "Stop a session", description: "Stop a running command (its run is recorded cancelled) or end a live shell session.", args: SessionKillArgs, readOnly: false },
  {
    name: "start",
    title: "Run a pipeline",
    description: "Run a pipeline of codex.orchestrator.json as a recorded run; reports progress per stage.",
    args: StartArgs,
    result: PipelineResult,
    readOnly: false,
  },
  { name: "status", title: "Run status", description: "The status of a run (default: the task's newest), as `status --format json`.", args: StatusArgs, readOnly: true },
  { name: "plan", title: "Pipeline plan", description: "The stages a pipeline would run; runs nothing.", args: PlanArgs, readOnly: true },
  {
    name: "resume",
    title: "Resume a run",
    description: "Rerun the stages of a run that did not finish (failed, cancelled, crashed).",
    args: ResumeArgs,
    result: PipelineResult,
    readOnly: false,
  },
];

/** An MCP tool's JSON Schema (an object schema without `$schema`: clients assume their dialect). */
export function toolJsonSchema(schema: v.GenericSchema): { type: "object"; [key: string]: unknown } {
  const { $schema: _dialect, ...rest } = toJsonSchema(schema, { target: "draft-07", errorMode: "ignore" }) as Record<string, unknown>;
  return { ...rest, type: "object" };
}

/** `<pointer>: <message>` of the first problem of invalid arguments, or null when they are valid. */
export function argumentProblem<T extends v.GenericSchema>(schema: T, input: unknown): { ok: true; value: v.InferOutput<T> } | { ok: false; problem: string } {
  const parsed = v.safeParse(schema, input ?? {});
  if (parsed.success) return { ok: true, value: parsed.output };
  const issue = parsed.issues[0];
  const pointer = (issue.path ?? []).map((item) => `/${String(item.key)}`).join("");
  return { ok: false, problem: `${pointer === "" ? "(arguments)" : pointer}: ${issue.message}` };
}
