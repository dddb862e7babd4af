import { RunFailedError } from "../core/errors.ts";
import { PtyShell } from "./pty-shell.ts";
import type { PtyShellOptions } from "./pty-shell.ts";

/**
 * Stage and exec sessions keyed by id, with the reuse / persist / opt-out rules of SPEC §9.4:
 * persisted = id given and (persist or reuse); reused = id given and (reuse if given, else persisted).
 * A persisted session is a live PTY shell shared by every stage (and child run) of this process; an ephemeral session
 * is only an id and an environment snapshot, and the caller runs its stage as a plain process.
 */

export const MAX_LIVE_SESSIONS = 64;
export const DEFAULT_SESSION_IDLE_MS = 10 * 60 * 1000;

/**
 * The sandbox a live shell is started in (issue 15): the shell's whole argv, wrapped by the sandbox backend, and the
 * label that names it. A shell keeps its sandbox for life, so a later request must ask for the same label.
 */
export type SessionSandbox = { argv: string[]; label: string };

/** The label of a shell started without a sandbox. */
export const UNSANDBOXED_LABEL = "unsandboxed";

export type SessionRequest = {
  id?: string;
  reuse?: boolean;
  persist?: boolean;
  /** The stage's `env`: applied on creation and, for a reused session, before its next command. */
  env?: Record<string, string>;
  cwd?: string;
  /** The sandbox of a persisted session's shell; undefined: none asked for (and an existing shell is not checked). */
  sandbox?: SessionSandbox;
};

export type SessionLease = {
  id: string;
  persisted: boolean;
  reused: boolean;
  /** The live shell of a persisted session; null for an ephemeral one. */
  session: PtyShell | null;
  /** True when this acquire started the shell (false when an existing one was handed back). */
  created: boolean;
  /** Environment snapshot: the base environment + the creating stage's `env` (+ later stages' `env` on reuse). */
  env: Record<string, string>;
};

export type SessionInfo = {
  id: string;
  pid: number;
  cwd: string;
  busy: boolean;
  currentCommand: string | null;
  commandCount: number;
  createdAt: string;
  lastUsedAt: string;
};

export type SessionManagerOptions = {
  /** Base environment of new sessions (default: this process's string-valued environment). */
  env?: Record<string, string | undefined>;
  /** Default working directory of new sessions. */
  cwd?: string;
  maxSessions?: number;
  /** A session unused for this long (and not busy) is disposed; 0 disables. */
  idleMs?: number;
  shellOptions?: Omit<PtyShellOptions, "cwd" | "env">;
  /** Random id for sessions without one (injectable for tests). */
  newId?: () => string;
};

type Entry = { shell: PtyShell; env: Record<string, string>; sandbox: string };

export class SessionManager {
  private readonly sessions = new Map<string, Entry>();
  private readonly starting = new Map<string, Promise<Entry>>();
  private readonly options: SessionManagerOptions;
  private readonly idleTimer: ReturnType<typeof setInterval> | null;
  private readonly idleMs: number;

  constructor(options: SessionManagerOptions = {}) {
    this.options = options;
    this.idleMs = options.idleMs ?? DEFAULT_SESSION_IDLE_MS;
    if (this.idleMs > 0) {
      this.idleTimer = setInterval(() => void this.expireIdle(), Math.max(50, Math.min(this.idleMs / 4, 30_000)));
      this.idleTimer.unref?.();
    } else {
      this.idleTimer = null;
    }
  }

  get size(): number {
    return this.sessions.size;
  }

  get limit(): number {
    return this.options.maxSessions ?? MAX_LIVE_SESSIONS;
  }

  /** Resolves a stage's session (SPEC §9.4); starts, reuses or recreates the live shell of a persisted one. */
  async acquire(request: SessionRequest): Promise<SessionLease> {
    const stageEnv = request.env ?? {};
    const hasId = request.id !== undefined && request.id !== "";
    const persisted = hasId && (request.persist === true || request.reuse === true);
    const reused = hasId && (request.reuse ?? persisted);
    if (!persisted) {
      const id = hasId ? (request.id as string) : (this.options.newId ?? (() => crypto.randomUUID()))();
      return { id, persisted: false, reused, session: null, created: false, env: { ...this.baseEnv(), ...stageEnv } };
    }
    const id = request.id as string;
    const existing = await this.lookup(id);
    if (existing !== undefined && reused) {
      checkSandbox(id, existing, request.sandbox);
      existing.shell.queueEnv(stageEnv);
      Object.assign(existing.env, stageEnv);
      return { id, persisted, reused, session: existing.shell, created: false, env: { ...existing.env } };
    }
    if (existing !== undefined) await this.dispose(id);
    const entry = await this.create(id, stageEnv, request.cwd, request.sandbox);
    return { id, persisted, reused, session: entry.shell, created: true, env: { ...entry.env } };
  }

  /** Ends a stage's use of a session: persisted shells stay for later stages, ephemeral ones have nothing to keep. */
  async release(lease: SessionLease): Promise<void> {
    if (lease.session === null) return;
    lease.session.lastUsedAt = Date.now();
    if (!lease.persisted) await lease.session.dispose();
  }

  /** The live shell `id`, or undefined (a dead shell is forgotten here). */
  get(id: string): PtyShell | undefined {
    const entry = this.sessions.get(id);
    if (entry !== undefined && !entry.shell.alive) {
      this.sessions.delete(id);
      return undefined;
    }
    return entry?.shell;
  }

  /**
   * The live shell `id`, started (with `env`, `cwd` and `sandbox`) when there is none. An existing shell started in
   * another sandbox than `sandbox` asks for is refused: its commands would not run in the sandbox they are recorded in.
   */
  async getOrCreate(
    id: string,
    env: Record<string, string> = {},
    cwd?: string,
    sandbox?: SessionSandbox,
  ): Promise<{ shell: PtyShell; created: boolean }> {
    const existing = await this.lookup(id);
    if (existing !== undefined) {
      checkSandbox(id, existing, sandbox);
      return { shell: existing.shell, created: false };
    }
    return { shell: (await this.create(id, env, cwd, sandbox)).shell, created: true };
  }

  /** The label of the sandbox the live shell `id` runs in (`unsandboxed` for none), or undefined without a shell. */
  sandboxOf(id: string): string | undefined {
    return this.get(id) === undefined ? undefined : this.sessions.get(id)?.sandbox;
  }

  list(): SessionInfo[] {
    const out: SessionInfo[] = [];
    for (const [id, { shell }] of this.sessions) {
      if (!shell.alive) continue;
      out.push({
        id,
        pid: shell.pid,
        cwd: shell.cwd,
        busy: shell.busy,
        currentCommand: shell.currentCommand,
        commandCount: shell.commandCount,
        createdAt: new Date(shell.createdAt).toISOString(),
        lastUsedAt: new Date(shell.lastUsedAt).toISOString(),
      });
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Disposes one session; false when there was none. */
  async dispose(id: string): Promise<boolean> {
    const entry = this.sessions.get(id);
    if (entry === undefined) return false;
    this.sessions.delete(id);
    await entry.shell.dispose();
    return true;
  }

  /** Disposes every session (on exit) and stops the idle timer. */
  async disposeAll(): Promise<void> {
    if (this.idleTimer !== null) clearInterval(this.idleTimer);
    const pending = [...this.starting.values()].map((p) => p.catch(() => undefined));
    await Promise.all(pending);
    const entries = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(entries.map((e) => e.shell.dispose()));
  }

  /** Disposes sessions that are idle past the limit; returns their ids. */
  async expireIdle(now = Date.now()): Promise<string[]> {
    if (this.idleMs <= 0) return [];
    const expired: string[] = [];
    for (const [id, { shell }] of this.sessions) {
      if (!shell.alive || (!shell.busy && now - shell.lastUsedAt >= this.idleMs)) expired.push(id);
    }
    await Promise.all(expired.map((id) => this.dispose(id)));
    return expired;
  }

  private async lookup(id: string): Promise<Entry | undefined> {
    const starting = this.starting.get(id);
    if (starting !== undefined) await starting.catch(() => undefined);
    this.get(id);
    return this.sessions.get(id);
  }

  private async create(
    id: string,
    stageEnv: Record<string, string>,
    cwd: string | undefined,
    sandbox: SessionSandbox | undefined,
  ): Promise<Entry> {
    // Two acquires racing for a new id share one shell.
    const racing = this.starting.get(id);
    if (racing !== undefined) return racing;
    for (const [key, { shell }] of this.sessions) if (!shell.alive) this.sessions.delete(key);
    if (this.sessions.size + this.starting.size >= this.limit) {
      throw new RunFailedError(
        `Too many live sessions (limit ${this.limit}); end one first (codex-orchestrator session kill <id>).`,
      );
    }
    const env = { ...this.baseEnv(), ...stageEnv };
    const promise = PtyShell.start({
      ...this.options.shellOptions,
      ...(sandbox === undefined ? {} : { argv: sandbox.argv }),
      env,
      cwd: cwd ?? this.options.cwd ?? process.cwd(),
    }).then((shell) => {
      const entry = { shell, env, sandbox: sandbox?.label ?? UNSANDBOXED_LABEL };
      this.sessions.set(id, entry);
      // A shell that dies on its own (`exit`, killed) is forgotten, so the next acquire starts a fresh one.
      shell.exited.then(() => {
        if (this.sessions.get(id) === entry) this.sessions.delete(id);
      });
      return entry;
    });
    this.starting.set(id, promise);
    try {
      return await promise;
    } finally {
      this.starting.delete(id);
    }
  }

  private baseEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.options.env ?? process.env)) if (typeof v === "string") env[k] = v;
    return env;
  }
}

function checkSandbox(id: string, entry: Entry, wanted: SessionSandbox | undefined): void {
  if (wanted === undefined || wanted.label === entry.sandbox) return;
  const asked = wanted.label === UNSANDBOXED_LABEL ? "no sandbox" : wanted.label;
  throw new RunFailedError(
    `Session '${id}' runs ${entry.sandbox}, but this command asks for ${asked}; a shell keeps the sandbox it started ` +
      "in: end the session first, or ask for the same sandbox. Nothing was run.",
  );
}
