import { existsSync, readlinkSync, renameSync, unlinkSync, writeFileSync, chmodSync } from "node:fs";
import { type Server, type Socket, connect, createServer } from "node:net";
import * as v from "valibot";
import { OrchestratorError, UsageError, errorMessage } from "../core/errors.ts";
import type { PtyShell } from "./pty-shell.ts";
import { DEFAULT_SESSION_IDLE_MS, type SessionSandbox, SessionManager, UNSANDBOXED_LABEL } from "./session-manager.ts";
import { HeadTailBuffer } from "./session-output.ts";
import { ensureHostDirs, hostPaths } from "./session-paths.ts";
import type { HostPaths } from "./session-paths.ts";
import { HostRequest } from "./session-protocol.ts";
import type { ExecResult, HostMessage, HostState, SessionSummary, WriteResult } from "./session-protocol.ts";
import { useNormalJitPolicy } from "./jit-hints.ts";

/**
 * The session host: a detached process that owns the live PTY shells of `exec --session` and the `session` command,
 * so shells outlive the CLI invocations that use them. It listens on an owner-only Unix socket under `<runs>`, speaks
 * the JSON-lines protocol of `session-protocol.ts`, and exits (disposing every shell) after `idleMs` without requests.
 */

export const SESSION_IDLE_ENV = "CODEX_ORCHESTRATOR_SESSION_IDLE_MS";

export type SessionHostOptions = {
  runsRoot: string;
  /** Exit after this long without requests (default 10 minutes, or `CODEX_ORCHESTRATOR_SESSION_IDLE_MS`). */
  idleMs?: number;
  log?: (line: string) => void;
};

type Meta = { task: string; id: string; lastExitCode: number | null };

export function idleMsFromEnv(env: Record<string, string | undefined> = process.env): number {
  const raw = Number(env[SESSION_IDLE_ENV]);
  return Number.isFinite(raw) && raw > 0 ? raw : DEFAULT_SESSION_IDLE_MS;
}

/** Runs the host until it exits (idle, `shutdown` request or signal). Resolves at once if another host answers. */
export async function runSessionHost(options: SessionHostOptions): Promise<void> {
  // A server: its request handling runs thousands of times, which the executable's start-up JIT policy does not suit.
  useNormalJitPolicy();
  const paths = hostPaths(options.runsRoot);
  const log = options.log ?? (() => {});
  ensureHostDirs(paths);
  if (existsSync(paths.socket)) {
    if (await answers(paths.socket)) {
      log(`another session host already serves ${paths.socket}`);
      return;
    }
    unlinkSync(paths.socket);
  }
  const host = new Host(paths, options.idleMs ?? idleMsFromEnv(), log);
  await host.listen();
  await host.closed;
}

/** True when something accepts connections on the socket. */
export function answers(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    const timer = setTimeout(() => done(false), timeoutMs);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

class Host {
  readonly closed: Promise<void>;
  private markClosed!: () => void;
  private readonly server: Server;
  private readonly manager: SessionManager;
  private readonly meta = new Map<string, Meta>();
  /** Shells being created, so that a kill arriving meanwhile can wait for them. */
  private readonly creating = new Map<string, Promise<unknown>>();
  private readonly startedAt = new Date().toISOString();
  private lastActivity = Date.now();
  private connections = 0;
  private stopping = false;
  private idleTimer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly paths: HostPaths,
    private readonly idleMs: number,
    private readonly log: (line: string) => void,
  ) {
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    // Shells get exactly the environment their creating client sent, not the host's.
    this.manager = new SessionManager({ env: {}, idleMs });
    this.server = createServer((socket) => this.onConnection(socket));
  }

  async listen(): Promise<void> {
    const previous = process.umask(0o077);
    try {
      await new Promise<void>((resolve, reject) => {
        this.server.once("error", reject);
        this.server.listen(this.paths.socket, () => resolve());
      });
    } finally {
      process.umask(previous);
    }
    chmodSync(this.paths.socket, 0o600);
    this.writeState({ state: "running" });
    for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => void this.stop("stopped", signal));
    process.on("SIGHUP", () => {}); // Detached from any terminal: a hang-up is not a reason to drop the shells.
    this.idleTimer = setInterval(() => this.checkIdle(), Math.max(50, Math.min(this.idleMs / 4, 30_000)));
    this.log(`session host ${process.pid} listening on ${this.paths.socket}`);
  }

  private checkIdle(): void {
    const busy = this.manager.list().some((s) => s.busy);
    if (!busy && this.connections === 0 && Date.now() - this.lastActivity >= this.idleMs) void this.stop("idle-exit");
  }

  private async stop(state: HostState["state"], signal?: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log(`session host ${process.pid} stopping (${signal ?? state})`);
    if (this.idleTimer !== null) clearInterval(this.idleTimer);
    this.server.close();
    await this.manager.disposeAll();
    try {
      unlinkSync(this.paths.socket);
    } catch {
      // Already gone.
    }
    this.writeState(signal === undefined ? { state } : { state, signal });
    this.markClosed();
  }

  private writeState(fields: Pick<HostState, "state" | "signal">): void {
    const state: HostState = { pid: process.pid, socket: this.paths.socket, startedAt: this.startedAt, ...fields };
    if (fields.state !== "running") state.stoppedAt = new Date().toISOString();
    const tmp = `${this.paths.state}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.paths.state);
  }

  private onConnection(socket: Socket): void {
    // Only requests count as activity: a liveness probe (connect, close) must not keep an idle host alive.
    this.connections++;
    let buffer = "";
    let handled = false;
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => {
      if (handled) return;
      buffer += text;
      const nl = buffer.indexOf("\n");
      if (nl === -1) return;
      handled = true;
      void this.handle(buffer.slice(0, nl), socket);
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.connections--;
    });
  }

  private async handle(line: string, socket: Socket): Promise<void> {
    this.lastActivity = Date.now();
    const send = (message: HostMessage) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
    };
    try {
      const parsed = v.safeParse(HostRequest, JSON.parse(line));
      if (!parsed.success) throw new UsageError(`Bad session host request: ${parsed.issues[0]?.message ?? "invalid"}`);
      const result = await this.dispatch(parsed.output, socket, send);
      send({ type: "done", result });
    } catch (error) {
      send({ type: "error", exitCode: error instanceof OrchestratorError ? error.exitCode : 1, message: errorMessage(error) });
    } finally {
      this.lastActivity = Date.now();
      socket.end();
    }
  }

  private async dispatch(req: HostRequest, socket: Socket, send: (m: HostMessage) => void): Promise<unknown> {
    switch (req.op) {
      case "ping":
        return { pid: process.pid, startedAt: this.startedAt };
      case "list":
        return { sessions: this.summaries().filter((s) => req.task === undefined || s.task === req.task) };
      case "start": {
        const { shell, created } = await this.session(req);
        if (req.cols !== undefined || req.rows !== undefined) shell.resize(req.cols ?? shell.cols, req.rows ?? shell.rows);
        return { created, session: this.summary(key(req), shell) };
      }
      case "exec":
        return this.exec(req, socket, send);
      case "write":
        return this.write(req.task, req.id, req.data, req.waitMs ?? 1000);
      case "interrupt":
        this.existing(req.task, req.id).interrupt();
        return {};
      case "resize":
        this.existing(req.task, req.id).resize(req.cols, req.rows);
        return {};
      case "kill":
        // A kill that arrives while the shell is still being created waits for it, so it is not left behind.
        await this.creating.get(key(req))?.catch(() => undefined);
        this.existing(req.task, req.id);
        await this.manager.dispose(key(req));
        this.meta.delete(key(req));
        return { killed: req.id };
      case "shutdown":
        setTimeout(() => void this.stop("stopped", "shutdown request"), 10);
        return {};
    }
  }

  private async session(req: { task: string; id: string; cwd: string; env: Record<string, string>; sandbox?: SessionSandbox | undefined }) {
    const k = key(req);
    const creating = this.manager.getOrCreate(k, req.env, req.cwd, req.sandbox);
    this.creating.set(k, creating);
    try {
      const got = await creating;
      if (got.created || !this.meta.has(k)) this.meta.set(k, { task: req.task, id: req.id, lastExitCode: null });
      return got;
    } finally {
      if (this.creating.get(k) === creating) this.creating.delete(k);
    }
  }

  private existing(task: string, id: string): PtyShell {
    const shell = this.manager.get(key({ task, id }));
    if (shell === undefined) throw new UsageError(`Unknown session: ${id}`);
    return shell;
  }

  private async exec(
    req: Extract<HostRequest, { op: "exec" }>,
    socket: Socket,
    send: (m: HostMessage) => void,
  ): Promise<ExecResult> {
    const { shell, created } = await this.session(req);
    // The client may have gone away while the shell was being created (its run was cancelled): then the command
    // must not start, or it would run after its record says it was cancelled.
    if (socket.destroyed || socket.readableEnded) throw new OrchestratorError("The client went away before its command started; nothing was run.", 1);
    if (shell.busy) {
      throw new OrchestratorError(
        `Session '${req.id}' is busy running: ${shell.currentCommand} (use 'session write' to feed it or 'session kill').`,
        1,
      );
    }
    const meta = this.meta.get(key(req)) as Meta;
    const onData = req.stream === true ? (bytes: Uint8Array) => send({ type: "data", data: Buffer.from(bytes).toString("base64") }) : undefined;
    const running = shell.run(req.command, {
      ...(req.setEnv === undefined ? {} : { env: req.setEnv }),
      ...(req.timeoutMs === undefined ? {} : { timeoutMs: req.timeoutMs }),
      ...(onData === undefined ? {} : { onData }),
    });
    const finished = running.then((r) => {
      meta.lastExitCode = r.exitCode;
      return r;
    });
    if (req.detach === true) {
      const output = await collectOutput(shell, req.waitMs ?? 500, finished, true);
      return { exitCode: null, output, outputBytes: Buffer.byteLength(output), truncated: false, timedOut: false, shellExited: false, durationMs: 0, created, running: shell.busy };
    }
    // A client that goes away (Ctrl-C on `session exec`) interrupts its command.
    const onClose = () => shell.interrupt();
    socket.once("close", onClose);
    const result = await finished;
    socket.off("close", onClose);
    return { ...result, created, running: false };
  }

  private async write(task: string, id: string, data: string, waitMs: number): Promise<WriteResult> {
    const shell = this.existing(task, id);
    const meta = this.meta.get(key({ task, id }));
    const collecting = collectOutput(shell, waitMs, null, false);
    shell.write(data);
    const output = await collecting;
    return { output, busy: shell.busy, lastExitCode: meta?.lastExitCode ?? null };
  }

  private summaries(): SessionSummary[] {
    const out: SessionSummary[] = [];
    for (const info of this.manager.list()) {
      const shell = this.manager.get(info.id);
      if (shell !== undefined) out.push(this.summary(info.id, shell));
    }
    return out;
  }

  private summary(k: string, shell: PtyShell): SessionSummary {
    const meta = this.meta.get(k) ?? { task: k.split("/")[0] ?? "", id: k.split("/").slice(1).join("/"), lastExitCode: null };
    return {
      task: meta.task,
      id: meta.id,
      pid: shell.pid,
      cwd: currentCwd(shell),
      busy: shell.busy,
      currentCommand: shell.currentCommand,
      commandCount: shell.commandCount,
      lastExitCode: meta.lastExitCode,
      sandbox: this.manager.sandboxOf(k) ?? UNSANDBOXED_LABEL,
      cols: shell.cols,
      rows: shell.rows,
      createdAt: new Date(shell.createdAt).toISOString(),
      lastUsedAt: new Date(shell.lastUsedAt).toISOString(),
    };
  }
}

/** The shell's current directory where the OS tells (Linux /proc), else the one it started in. */
function currentCwd(shell: PtyShell): string {
  try {
    return readlinkSync(`/proc/${shell.pid}/cwd`);
  } catch {
    return shell.cwd;
  }
}

function key(req: { task: string; id: string }): string {
  return `${req.task}/${req.id}`;
}

/**
 * Output of a shell after a write or a detached start: returns once output has been quiet for a moment (an
 * interactive program waiting for input), when `finished` settles, or after `waitMs` at most.
 */
function collectOutput(shell: PtyShell, waitMs: number, finished: Promise<unknown> | null, waitFull: boolean): Promise<string> {
  const QUIET_MS = 200;
  return new Promise((resolve) => {
    const kept = new HeadTailBuffer();
    let quietTimer: ReturnType<typeof setTimeout> | null = null;
    const done = () => {
      unsubscribe();
      clearTimeout(maxTimer);
      if (quietTimer !== null) clearTimeout(quietTimer);
      resolve(kept.text());
    };
    const unsubscribe = shell.onOutput((bytes) => {
      kept.push(bytes);
      if (waitFull) return;
      if (quietTimer !== null) clearTimeout(quietTimer);
      quietTimer = setTimeout(done, QUIET_MS);
    });
    const maxTimer = setTimeout(done, waitMs);
    finished?.then(() => setTimeout(done, 0));
  });
}
