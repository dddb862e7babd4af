import { closeSync, existsSync, openSync, readFileSync, statSync, unlinkSync } from "node:fs";
import { type Socket, connect } from "node:net";
import { resolve } from "node:path";
import * as v from "valibot";
import { DEFAULT_TASK_ID } from "../core/ids.ts";
import { LOG_PREFIX } from "../core/log-prefix.ts";
import { OrchestratorError, RunFailedError } from "../core/errors.ts";
import { answers } from "./session-host.ts";
import { ensureHostDirs, hostPaths } from "./session-paths.ts";
import type { HostPaths } from "./session-paths.ts";
import { ExecResult, HostMessage, HostState, SessionSummary, WriteResult } from "./session-protocol.ts";
import type { HostRequest } from "./session-protocol.ts";
import type { SessionSandbox } from "./session-manager.ts";
import { stringEnv } from "../platform/env.ts";
import { selfCommand } from "./self-command.ts";

/**
 * Client of the session host: one connection per request, the host started on demand. When the host is gone (killed,
 * crashed, idle exit) the next call says so through `onNotice` (default: a warning line on stderr) before it starts a
 * fresh one, because the shells — and their state — went with it.
 */

export type HostClientOptions = {
  /** argv that runs this program's CLI; default: the running executable (or bun + src/main.ts from source). */
  hostCommand?: string[];
  /** Environment of a started host (default: this process's); carries `CODEX_ORCHESTRATOR_SESSION_IDLE_MS`. */
  hostEnv?: Record<string, string | undefined>;
  onNotice?: (line: string) => void;
  startTimeoutMs?: number;
  signal?: AbortSignal;
};

export type SessionTarget = {
  taskId?: string;
  /** Working directory and environment of the shell if this call creates it. */
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** The shell's sandbox: how a new shell is started, and what an existing one must have been started with. */
  sandbox?: SessionSandbox;
};

export type ExecInSessionOptions = HostClientOptions &
  SessionTarget & {
    /** Exported in the shell before the command (and kept). */
    setEnv?: Record<string, string>;
    timeoutMs?: number;
    /** Output as it arrives (CRLF → LF, no sentinel). */
    onData?: (bytes: Uint8Array) => void;
    /** Return after `waitMs` while the command keeps running (feed it with `writeSession`). */
    detach?: boolean;
    waitMs?: number;
  };

/** Runs `command` in the live shell `id` (created on first use), as `exec --session <id>` does. */
export async function execInSession(runsRoot: string, id: string, command: string, opts: ExecInSessionOptions = {}): Promise<ExecResult> {
  const req: HostRequest = { op: "exec", ...creation(id, opts), command, stream: opts.onData !== undefined };
  if (opts.setEnv !== undefined) req.setEnv = opts.setEnv;
  if (opts.timeoutMs !== undefined) req.timeoutMs = opts.timeoutMs;
  if (opts.detach !== undefined) req.detach = opts.detach;
  if (opts.waitMs !== undefined) req.waitMs = opts.waitMs;
  return v.parse(ExecResult, await hostRequest(runsRoot, req, opts, opts.onData));
}

export async function startSession(
  runsRoot: string,
  id: string,
  opts: HostClientOptions & SessionTarget & { cols?: number; rows?: number } = {},
): Promise<{ created: boolean; session: SessionSummary }> {
  const req: HostRequest = { op: "start", ...creation(id, opts) };
  if (opts.cols !== undefined) req.cols = opts.cols;
  if (opts.rows !== undefined) req.rows = opts.rows;
  return v.parse(v.object({ created: v.boolean(), session: SessionSummary }), await hostRequest(runsRoot, req, opts));
}

/** Sessions of `taskId` (all tasks when undefined). Does not start a host when none is running. */
export async function listSessions(runsRoot: string, taskId: string | undefined, opts: HostClientOptions = {}): Promise<SessionSummary[]> {
  if (!(await answers(hostPaths(runsRoot).socket))) {
    explainMissingHost(hostPaths(runsRoot), opts, false);
    return [];
  }
  const req: HostRequest = taskId === undefined ? { op: "list" } : { op: "list", task: taskId };
  return v.parse(v.object({ sessions: v.array(SessionSummary) }), await hostRequest(runsRoot, req, opts)).sessions;
}

/** Feeds characters to the session's terminal and returns the output that follows. */
export async function writeSession(runsRoot: string, id: string, data: string, opts: HostClientOptions & { taskId?: string; waitMs?: number } = {}): Promise<WriteResult> {
  const req: HostRequest = { op: "write", task: opts.taskId ?? DEFAULT_TASK_ID, id, data };
  if (opts.waitMs !== undefined) req.waitMs = opts.waitMs;
  return v.parse(WriteResult, await hostRequest(runsRoot, req, opts));
}

export async function killSession(runsRoot: string, id: string, opts: HostClientOptions & { taskId?: string } = {}): Promise<void> {
  await hostRequest(runsRoot, { op: "kill", task: opts.taskId ?? DEFAULT_TASK_ID, id }, opts);
}

/** The host's pid, starting a host when none runs. */
export async function pingHost(runsRoot: string, opts: HostClientOptions = {}): Promise<number> {
  return v.parse(v.object({ pid: v.number() }), await hostRequest(runsRoot, { op: "ping" }, opts)).pid;
}

/** Asks a running host to dispose its shells and exit (no-op when none runs). */
export async function shutdownHost(runsRoot: string, opts: HostClientOptions = {}): Promise<void> {
  if (!(await answers(hostPaths(runsRoot).socket))) return;
  await hostRequest(runsRoot, { op: "shutdown" }, opts);
}

function creation(id: string, opts: SessionTarget) {
  const env: Record<string, string> = {};
  for (const [k, val] of Object.entries(opts.env ?? process.env)) if (typeof val === "string") env[k] = val;
  // The host runs in `/`: a relative cwd is the caller's.
  const where = { task: opts.taskId ?? DEFAULT_TASK_ID, id, cwd: resolve(opts.cwd ?? process.cwd()), env };
  return opts.sandbox === undefined ? where : { ...where, sandbox: opts.sandbox };
}

/** Sends one request and collects the answer, starting the host first when it is not running. */
export async function hostRequest(
  runsRoot: string,
  req: HostRequest,
  opts: HostClientOptions,
  onData?: (bytes: Uint8Array) => void,
): Promise<unknown> {
  const paths = hostPaths(runsRoot);
  let socket: Socket;
  try {
    socket = await openSocket(paths.socket);
  } catch {
    await startHost(paths, runsRoot, opts);
    socket = await openSocket(paths.socket);
  }
  return new Promise((resolve, reject) => {
    let buffer = "";
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener("abort", onAbort);
      fn();
    };
    const onAbort = () => {
      socket.destroy();
      settle(() => reject(new RunFailedError("Session request aborted.")));
    };
    opts.signal?.addEventListener("abort", onAbort);
    // Aborted while the host was being started or the socket connected: the request is never sent.
    if (opts.signal?.aborted === true) return onAbort();
    socket.setEncoding("utf8");
    socket.write(`${JSON.stringify(req)}\n`);
    socket.on("data", (text: string) => {
      buffer += text;
      let nl = buffer.indexOf("\n");
      while (nl !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf("\n");
        const message = v.safeParse(HostMessage, safeJson(line));
        if (!message.success) continue;
        const m = message.output;
        if (m.type === "data") onData?.(Buffer.from(m.data, "base64"));
        else if (m.type === "done") settle(() => resolve(m.result));
        else settle(() => reject(new OrchestratorError(m.message, m.exitCode)));
      }
    });
    socket.on("error", (error) => settle(() => reject(new RunFailedError(`Session host connection failed: ${error.message}`))));
    socket.on("close", () =>
      settle(() =>
        reject(new RunFailedError(`Session host closed the connection before answering (was it killed?); see ${paths.log}`)),
      ),
    );
  });
}

/** Connects, or rejects when nothing listens (no socket, stale socket). */
function openSocket(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

/** Starts a host (one client at a time, through `spawn.lock`) and waits until it answers. */
async function startHost(paths: HostPaths, runsRoot: string, opts: HostClientOptions): Promise<void> {
  ensureHostDirs(paths);
  const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
  while (!takeLock(paths.lock)) {
    if (await answers(paths.socket)) return;
    if (Date.now() > deadline) throw new RunFailedError(`Timed out waiting for the session host to start; see ${paths.log}`);
    await Bun.sleep(25);
  }
  try {
    if (await answers(paths.socket)) return;
    explainMissingHost(paths, opts, true);
    const log = openSync(paths.log, "a", 0o600);
    try {
      const proc = Bun.spawn([...(opts.hostCommand ?? selfCommand()), "session", "host", "--runs", runsRoot], {
        cwd: "/",
        env: stringEnv(opts.hostEnv ?? process.env),
        stdin: "ignore",
        stdout: log,
        stderr: log,
        detached: true,
      });
      proc.unref();
    } finally {
      closeSync(log);
    }
    while (!(await answers(paths.socket))) {
      if (Date.now() > deadline) throw new RunFailedError(`The session host did not start; see ${paths.log}`);
      await Bun.sleep(20);
    }
  } finally {
    try {
      unlinkSync(paths.lock);
    } catch {
      // Released already.
    }
  }
}

function takeLock(lock: string): boolean {
  try {
    closeSync(openSync(lock, "wx", 0o600));
    return true;
  } catch {
    // A lock left by a client that died while starting a host is broken after 15 s.
    try {
      if (Date.now() - statSync(lock).mtimeMs > 15_000) unlinkSync(lock);
    } catch {
      // Gone meanwhile.
    }
    return false;
  }
}

/** Says what happened to the previous host (from `host.json`), once, before a fresh one starts. */
function explainMissingHost(paths: HostPaths, opts: HostClientOptions, starting: boolean): void {
  if (!existsSync(paths.state)) return;
  const parsed = v.safeParse(HostState, safeJson(readFileSync(paths.state, "utf8")));
  try {
    unlinkSync(paths.state);
  } catch {
    // Another client explained it.
    return;
  }
  if (!parsed.success) return;
  const s = parsed.output;
  const next = starting ? " Starting a fresh session host." : "";
  const notice = opts.onNotice ?? ((line: string) => process.stderr.write(`${LOG_PREFIX}${line}\n`));
  if (s.state === "running") notice(`Session host (pid ${s.pid}) is gone: it was killed or crashed, and its sessions were lost.${next}`);
  else if (s.state === "stopped") notice(`Session host (pid ${s.pid}) was stopped (${s.signal ?? "signal"}); its sessions were closed.${next}`);
  else notice(`Session host (pid ${s.pid}) exited after being idle; its sessions were closed.${next}`);
}
