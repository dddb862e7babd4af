import { chunkBytesOf } from "../core/chunk-event.ts";
import { UsageError, errorMessage } from "../core/errors.ts";
import { validateSessionId } from "../core/ids.ts";
import type { SandboxMode } from "../core/schemas/common.ts";
import { killSession, listSessions, writeSession } from "../exec/session-client.ts";
import { type ExecRequest, runExec } from "../pipeline/exec-run.ts";
import { LiveExec } from "./live-execs.ts";
import { type CallContext, type McpContext, callLogger } from "./mcp-context.ts";
import {
  DEFAULT_EXEC_YIELD_MS,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_WRITE_YIELD_MS,
  type ExecArgs,
  type ExecResult,
  type SessionKillArgs,
  type WriteStdinArgs,
} from "./tool-schemas.ts";

/** What a tool handler answers: the structured result and its text for the model. */
export type ToolAnswer = { structured: Record<string, unknown>; text: string; isError: boolean };

const LOOSENESS: Record<SandboxMode, number> = { "read-only": 0, "workspace-write": 1, "danger-full-access": 2 };
/** How long session_kill waits for a stopped command's run to be recorded. */
const KILL_WAIT_MS = 15_000;

/**
 * `exec` (issue 19): one recorded run, exactly as `codex-orchestrator exec` makes it, with the server's policy,
 * rules, hooks and sandbox. Waits `yield_ms` from the moment the command starts (approval may take a person's time
 * before that): a command still running then stays in the server's table and the answer carries its session id.
 */
export async function execTool(ctx: McpContext, call: CallContext, args: ExecArgs): Promise<ToolAnswer> {
  const shellLine = typeof args.command === "string" ? args.command : null;
  const display = shellLine ?? (args.command as string[]).join(" ");
  const session = args.session ?? null;
  if (session !== null && ctx.live.get(session) !== undefined) {
    throw new UsageError(`Session '${session}' is busy running a command of this server; feed it with write_stdin or stop it with session_kill.`);
  }
  if (session !== null && args.tty === true) throw new UsageError("Cannot combine tty with session (a session is a terminal already).");
  // The agent may tighten the server's sandbox, not loosen it: a looser sandbox than the server's needs approval.
  const looser = args.sandbox !== undefined && ctx.sandbox !== null && LOOSENESS[args.sandbox] > LOOSENESS[ctx.sandbox];
  const live = new LiveExec(session ?? ctx.live.nextId(), display, session, args.tty === true);
  const notes: string[] = [];
  const request: ExecRequest = {
    argv: shellLine === null ? (args.command as string[]) : [],
    ...(shellLine === null ? {} : { shellCommand: shellLine }),
    env: ctx.env,
    cwd: ctx.cwd,
    task: ctx.task,
    commandCwd: args.cwd,
    tty: args.tty === true,
    stdin: false,
    session: session ?? undefined,
    sandbox: args.sandbox ?? ctx.sandbox ?? undefined,
    approvalPolicy: ctx.approvalPolicy,
    requireApproval: args.require_approval === true || looser,
    timeoutSeconds: args.timeout,
    notify: [],
    quiet: false,
    prompter: call.prompter,
    logger: callLogger(notes),
    input: live.feed,
    origin: "mcp",
    handleSignals: false,
  };
  live.done = runExec(request, {
    prepared(invocation) {
      live.cancel = invocation.cancel;
      ctx.active.add(invocation.cancel);
      invocation.events.subscribe((event) => {
        if (event.type === "exec:begin") live.markBegan();
        const bytes = chunkBytesOf(event);
        if (bytes !== undefined) live.output.push(bytes.raw);
        if (event.type === "run:summary" && event.payload.result !== null) live.summary = event.payload.result;
        return undefined;
      });
    },
    started(run) {
      live.runId = run.runId;
      live.manifestPath = run.manifestPath;
    },
  }).then(
    (outcome) => {
      live.outcome = outcome;
    },
    (error: unknown) => {
      live.failure = error;
    },
  );
  live.done = live.done.finally(() => {
    live.finished = true;
    if (live.cancel !== null) ctx.active.delete(live.cancel);
  });
  live.notes = notes;
  // A client that gives up on the call (notifications/cancelled) stops the command it asked for.
  const onAbort = () => live.cancel?.cancel("SIGTERM");
  call.signal.addEventListener("abort", onAbort);
  try {
    await Promise.race([live.started(), aborted(call.signal)]);
    await waitFor(live, args.yield_ms ?? DEFAULT_EXEC_YIELD_MS, call.signal);
  } finally {
    call.signal.removeEventListener("abort", onAbort);
  }
  if (!live.finished) ctx.live.add(live);
  return answer(ctx, live, args.max_output_bytes ?? DEFAULT_MAX_OUTPUT_BYTES);
}

/**
 * `write_stdin`: types into a running exec (its terminal, or the live shell it runs in) and answers the output since
 * the last read; the name of a live shell session with no exec of this server running types into that shell.
 */
export async function writeStdinTool(ctx: McpContext, call: CallContext, args: WriteStdinArgs): Promise<ToolAnswer> {
  const limit = args.max_output_bytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const yieldMs = args.yield_ms ?? DEFAULT_WRITE_YIELD_MS;
  const live = ctx.live.get(args.session);
  if (live === undefined) return writeToShell(ctx, args.session, args.chars, yieldMs, limit);
  if (args.chars !== "" && !live.finished) {
    if (live.session !== null) {
      await writeSession(ctx.runsRoot, live.session, args.chars, { taskId: ctx.taskId, waitMs: 0 });
    } else if (!live.feed.write(args.chars)) {
      throw new UsageError(
        live.tty
          ? `Session ${live.id} is not accepting input any more (its command is ending).`
          : `Session ${live.id} has no terminal to type into (its exec did not ask for tty: true); call write_stdin with empty chars to read its output.`,
      );
    }
  }
  await waitFor(live, yieldMs, call.signal);
  return answer(ctx, live, limit);
}

/** The server's running execs and the task's live shell sessions. */
export async function sessionListTool(ctx: McpContext): Promise<ToolAnswer> {
  const execs = ctx.live.list().map((e) => ({
    session: e.id,
    kind: "exec",
    command: e.command,
    status: e.finished ? "exited" : "running",
    run_id: e.runId,
    manifest: e.manifestPath,
    tty: e.tty || e.session !== null,
    shell_session: e.session,
    started_at: new Date(e.startedAt).toISOString(),
  }));
  const shells = (await listSessions(ctx.runsRoot, ctx.taskId, { onNotice: () => {} })).map((s) => ({
    session: s.id,
    kind: "shell",
    pid: s.pid,
    cwd: s.cwd,
    busy: s.busy,
    current_command: s.currentCommand,
    commands: s.commandCount,
    last_exit_code: s.lastExitCode,
  }));
  const sessions = [...execs, ...shells];
  const text =
    sessions.length === 0
      ? "No running commands and no live shell sessions."
      : sessions.map((s) => `${s.session}\t${s.kind}\t${"command" in s ? `${s.status}\t${s.command}` : `${s.busy ? "busy" : "idle"}\t${s.cwd}`}`).join("\n");
  return { structured: { sessions }, text, isError: false };
}

/** Stops a running exec (its run is recorded `cancelled`) or ends a live shell session. */
export async function sessionKillTool(ctx: McpContext, args: SessionKillArgs): Promise<ToolAnswer> {
  const live = ctx.live.get(args.session);
  if (live !== undefined) {
    // The run first (recorded `cancelled`), then the live shell it ran in, if any: killing the session ends it.
    live.cancel?.cancel("SIGTERM");
    await Promise.race([live.done, new Promise((resolve) => setTimeout(resolve, KILL_WAIT_MS).unref())]);
    if (live.session !== null) await killSession(ctx.runsRoot, live.session, { taskId: ctx.taskId }).catch(() => undefined);
    return answer(ctx, live, DEFAULT_MAX_OUTPUT_BYTES);
  }
  const name = validateSessionId(args.session, "session");
  await killSession(ctx.runsRoot, name, { taskId: ctx.taskId });
  return { structured: { session: name, killed: true }, text: `Session ${name} killed.`, isError: false };
}

/** `write_stdin` to a live shell session that runs nothing of this server: `session write`. */
async function writeToShell(ctx: McpContext, id: string, chars: string, yieldMs: number, limit: number): Promise<ToolAnswer> {
  if (id.startsWith("proc:")) throw new UsageError(`Unknown session: ${id} (its command ended and its output was read).`);
  const name = validateSessionId(id, "session");
  const started = Date.now();
  const result = await writeSession(ctx.runsRoot, name, chars, { taskId: ctx.taskId, waitMs: Math.max(yieldMs, 1) });
  const bytes = Buffer.byteLength(result.output);
  const cut = bytes > limit;
  const output = cut ? `${result.output.slice(0, Math.floor(limit / 2))}\n…[output cut]…\n${result.output.slice(-Math.floor(limit / 2))}` : result.output;
  const structured: ExecResult = {
    status: result.busy ? "running" : "succeeded",
    session: name,
    exit_code: result.busy ? null : result.lastExitCode,
    signal: null,
    timed_out: false,
    output,
    output_bytes: bytes,
    truncated: cut,
    run_id: null,
    manifest: null,
    error: null,
    duration_ms: Date.now() - started,
  };
  return { structured, text: output, isError: false };
}

/** Waits until the exec ends, `ms` pass, or the call is cancelled. */
async function waitFor(live: LiveExec, ms: number, signal: AbortSignal): Promise<void> {
  if (live.finished || ms === 0) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([live.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), aborted(signal)]);
  clearTimeout(timer);
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

/** The answer for an exec as it stands: running (with its session id) or finished (then forgotten by the table). */
function answer(ctx: McpContext, live: LiveExec, limit: number): ToolAnswer {
  const out = live.output.take(limit, live.tty || live.session !== null);
  if (live.finished) ctx.live.remove(live);
  if (live.finished && live.outcome === null) {
    // The run could not even be made (bad config, bad input): the one line the CLI would print.
    const message = errorMessage(live.failure);
    const structured: ExecResult = {
      status: "failed",
      session: null,
      exit_code: null,
      signal: null,
      timed_out: false,
      output: out.text,
      output_bytes: out.bytes,
      truncated: out.truncated,
      run_id: live.runId,
      manifest: live.manifestPath,
      error: message,
      duration_ms: Date.now() - live.startedAt,
    };
    return { structured, text: message, isError: true };
  }
  const outcome = live.outcome;
  const status = outcome === null ? "running" : (outcome.status as ExecResult["status"]);
  const ran = live.began && live.summary !== null;
  const structured: ExecResult = {
    status,
    session: outcome === null ? live.id : null,
    // A command stopped before it reported an exit (an interrupted session request) has none.
    exit_code: outcome === null || !ran || (status === "cancelled" && (outcome.error ?? null) !== null) ? null : (live.summary?.exitCode ?? null),
    signal: live.summary?.signal ?? null,
    timed_out: live.summary?.timedOut ?? false,
    output: out.text,
    output_bytes: out.bytes,
    truncated: out.truncated,
    run_id: live.runId,
    manifest: live.manifestPath,
    error: outcome?.error ?? outcome?.failure ?? null,
    duration_ms: live.summary?.durationMs ?? Date.now() - live.startedAt,
  };
  const head =
    outcome === null
      ? `Still running as session ${live.id} (run ${live.runId}); continue with write_stdin {"session": "${live.id}"}.`
      : structured.error !== null && !ran
        ? `Not run: ${structured.error}`
        : `${status === "cancelled" ? "Cancelled" : `Exit code ${structured.exit_code ?? structured.signal ?? "none"}`}${structured.timed_out ? " (timed out)" : ""}${structured.error !== null ? `: ${structured.error}` : ""}.`;
  const notes = (live.notes ?? []).filter((n) => structured.error === null || !n.includes(structured.error));
  const text = [`${head} Run ${live.runId ?? "-"}, manifest ${live.manifestPath ?? "-"}.`, ...notes, out.text].filter((t) => t !== "").join("\n");
  return { structured, text, isError: outcome !== null && !ran && structured.error !== null };
}
