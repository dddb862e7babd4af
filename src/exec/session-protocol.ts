import * as v from "valibot";

/**
 * The session host's wire protocol: JSON lines over a Unix socket. A client sends one request line per connection;
 * the host answers with zero or more `data` lines (streamed output, base64) and one final `done` or `error` line.
 */

const Env = v.record(v.string(), v.string());
const SessionId = v.pipe(v.string(), v.minLength(1), v.maxLength(128));
const Task = v.pipe(v.string(), v.minLength(1), v.maxLength(128));
const Millis = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(7 * 24 * 3600 * 1000));
const Cells = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10_000));

/** Where and how a session is created when a request finds none. */
const Creation = {
  task: Task,
  id: SessionId,
  cwd: v.string(),
  /** Base environment of a new shell (the caller's environment). */
  env: Env,
  /**
   * The sandbox of the shell (issue 15): its whole argv, wrapped, and the label naming the sandbox. A new shell is
   * started with that argv; an existing one must have been started with the same label. Absent: not checked.
   */
  sandbox: v.optional(v.object({ argv: v.pipe(v.array(v.string()), v.minLength(1)), label: v.string() })),
};

export const HostRequest = v.variant("op", [
  v.object({ op: v.literal("ping") }),
  v.object({ op: v.literal("list"), task: v.optional(Task) }),
  v.object({ op: v.literal("start"), ...Creation, cols: v.optional(Cells), rows: v.optional(Cells) }),
  v.object({
    op: v.literal("exec"),
    ...Creation,
    command: v.string(),
    /** Exported in the shell before the command. */
    setEnv: v.optional(Env),
    timeoutMs: v.optional(Millis),
    /** Return after `waitMs` of output while the command keeps running (drive it with `write`). */
    detach: v.optional(v.boolean()),
    waitMs: v.optional(Millis),
    /** Stream output as `data` lines. */
    stream: v.optional(v.boolean()),
  }),
  v.object({ op: v.literal("write"), task: Task, id: SessionId, data: v.string(), waitMs: v.optional(Millis) }),
  v.object({ op: v.literal("interrupt"), task: Task, id: SessionId }),
  v.object({ op: v.literal("resize"), task: Task, id: SessionId, cols: Cells, rows: Cells }),
  v.object({ op: v.literal("kill"), task: Task, id: SessionId }),
  v.object({ op: v.literal("shutdown") }),
]);
export type HostRequest = v.InferOutput<typeof HostRequest>;

export const SessionSummary = v.object({
  task: v.string(),
  id: v.string(),
  pid: v.number(),
  cwd: v.string(),
  busy: v.boolean(),
  currentCommand: v.nullable(v.string()),
  commandCount: v.number(),
  /** Exit code of the last finished command (null before any). */
  lastExitCode: v.nullable(v.number()),
  /** The sandbox the shell runs in (`unsandboxed` for none; absent from older hosts). */
  sandbox: v.optional(v.string()),
  cols: v.number(),
  rows: v.number(),
  createdAt: v.string(),
  lastUsedAt: v.string(),
});
export type SessionSummary = v.InferOutput<typeof SessionSummary>;

export const ExecResult = v.object({
  exitCode: v.nullable(v.number()),
  output: v.string(),
  outputBytes: v.number(),
  truncated: v.boolean(),
  timedOut: v.boolean(),
  shellExited: v.boolean(),
  durationMs: v.number(),
  /** The shell was started by this request. */
  created: v.boolean(),
  /** `detach`: the command is still running. */
  running: v.boolean(),
});
export type ExecResult = v.InferOutput<typeof ExecResult>;

export const WriteResult = v.object({
  output: v.string(),
  busy: v.boolean(),
  lastExitCode: v.nullable(v.number()),
});
export type WriteResult = v.InferOutput<typeof WriteResult>;

export const HostMessage = v.variant("type", [
  v.object({ type: v.literal("data"), data: v.string() }),
  v.object({ type: v.literal("done"), result: v.unknown() }),
  v.object({ type: v.literal("error"), exitCode: v.number(), message: v.string() }),
]);
export type HostMessage = v.InferOutput<typeof HostMessage>;

/** Host state file `<runs>/.sessions/host.json`: lets the next client explain what happened to a vanished host. */
export const HostState = v.object({
  pid: v.number(),
  socket: v.string(),
  startedAt: v.string(),
  state: v.picklist(["running", "idle-exit", "stopped"]),
  signal: v.optional(v.string()),
  stoppedAt: v.optional(v.string()),
});
export type HostState = v.InferOutput<typeof HostState>;
