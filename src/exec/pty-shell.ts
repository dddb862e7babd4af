import { readFileSync, readdirSync } from "node:fs";
import { RunFailedError, UsageError } from "../core/errors.ts";
import { orphanGuard } from "./orphan-guard.ts";
import { workingDirectoryProblem } from "./spawn-error.ts";
import { CrlfNormalizer, HeadTailBuffer, OUTPUT_LIMIT_BYTES } from "./session-output.ts";
import { SentinelStripper, ansiCQuote, isEnvName, newNonce, sentinelPrintfFormat, splitText } from "./session-sentinel.ts";
import type { Sentinel } from "./session-sentinel.ts";

/**
 * A live bash on a pseudo-terminal that runs one command after another, so `cd`, exported variables and other shell
 * state carry over (SPEC §9.4, §14.7). Each command line ends in the prompt hook, which prints a nonce sentinel with
 * the command's exit status; the sentinel is stripped from the output. The hook also fires when Ctrl-C abandons a
 * command line, so an interrupted command still reports its status (130).
 */

const ECHO = 0o10; // c_lflag ECHO: the same bit on Linux and macOS.
const RECENT_BYTES = 64 * 1024;
/** Raw characters per terminal line: quoting can grow them 4×, and a canonical-mode line holds at most 4095 bytes. */
const LINE_PIECE = 768;

export type PtyShellOptions = {
  cwd?: string;
  /** Base environment (default: this process's); `TERM` defaults to `xterm-256color`. */
  env?: Record<string, string | undefined>;
  cols?: number;
  rows?: number;
  /** The shell program (default `bash`). */
  shell?: string;
  /**
   * The whole argv to spawn instead of `sessionShellArgv(shell)`: that argv wrapped by a sandbox, so every command the
   * shell runs is inside it (issue 15).
   */
  argv?: string[];
  readyTimeoutMs?: number;
  /** How long a timed-out command may take to stop after Ctrl-C before the whole shell is killed. */
  interruptGraceMs?: number;
};

export type PtyRunOptions = {
  /** Exported in the shell before the command (and kept, like any `export`). */
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Output as it arrives, CRLF converted to LF, without the sentinel. */
  onData?: (bytes: Uint8Array) => void;
};

export type PtyRunResult = {
  exitCode: number;
  /** CRLF → LF; head + tail within 1 MiB. */
  output: string;
  outputBytes: number;
  truncated: boolean;
  timedOut: boolean;
  /** The shell itself ended during the command (`exit`, killed after a timeout, crash). */
  shellExited: boolean;
  durationMs: number;
};

type Pending = {
  seq: number;
  command: string;
  startedAt: number;
  output: HeadTailBuffer;
  onData?: (bytes: Uint8Array) => void;
  timedOut: boolean;
  timers: ReturnType<typeof setTimeout>[];
  resolve: (result: PtyRunResult) => void;
};

/** The argv of a session shell: bash without profile, rc files or line editing. */
export function sessionShellArgv(shell = "bash"): string[] {
  return [shell, "--noprofile", "--norc", "--noediting"];
}

export class PtyShell {
  readonly pid: number;
  readonly cwd: string;
  readonly createdAt = Date.now();
  lastUsedAt = Date.now();
  commandCount = 0;
  /** Resolves with the shell's exit status (128 + n when killed by signal n). */
  readonly exited: Promise<number>;

  private readonly proc: ReturnType<typeof Bun.spawn>;
  private readonly terminal: Bun.Terminal;
  private readonly stripper: SentinelStripper;
  private readonly normalizer = new CrlfNormalizer();
  private readonly recent = new HeadTailBuffer(RECENT_BYTES, 0);
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();
  private readonly graceMs: number;
  private size: { cols: number; rows: number };
  private seq = 0;
  private pending: Pending | null = null;
  private queuedEnv: Record<string, string> = {};
  private ready = false;
  private readyWaiter: (() => void) | null = null;
  private exitStatus: number | null = null;
  private eof!: Promise<void>;

  /** Starts a shell and waits until it is ready for commands. */
  static async start(options: PtyShellOptions = {}): Promise<PtyShell> {
    const cwd = options.cwd ?? process.cwd();
    const problem = workingDirectoryProblem(cwd);
    if (problem !== null) throw new RunFailedError(`Cannot start session shell: working directory ${problem}: ${cwd}`);
    const shell = new PtyShell(options, cwd);
    await shell.waitReady(options.readyTimeoutMs ?? 10_000);
    return shell;
  }

  private constructor(options: PtyShellOptions, cwd: string) {
    this.cwd = cwd;
    this.graceMs = options.interruptGraceMs ?? 2_000;
    this.size = { cols: options.cols ?? 120, rows: options.rows ?? 40 };
    const nonce = newNonce();
    this.stripper = new SentinelStripper(nonce);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.env ?? process.env)) if (v !== undefined) env[k] = v;
    env.TERM ??= "xterm-256color";
    env.PS1 = "";
    env.PS2 = "";
    let markEof!: () => void;
    this.eof = new Promise((resolve) => (markEof = resolve));
    try {
      orphanGuard.ready();
      this.proc = Bun.spawn(options.argv ?? sessionShellArgv(options.shell), {
        cwd,
        env,
        terminal: {
          ...this.size,
          data: (_term, bytes) => this.onBytes(bytes),
          exit: () => markEof(),
        },
      });
    } catch (error) {
      throw new RunFailedError(`Cannot start session shell: ${(error as Error).message}`, { cause: error });
    }
    this.pid = this.proc.pid;
    // The shell leads its own session; if this process is killed, the guard takes the shell and its jobs down.
    orphanGuard.register(this.pid);
    this.terminal = this.proc.terminal as Bun.Terminal;
    this.echoOff();
    this.exited = this.proc.exited.then(async (code) => {
      // Jobs left in the terminal's session go with the shell (swept at once, before the pid can be reused).
      killSession(this.pid);
      // The last output can arrive after the exit status: wait for the PTY's EOF (bounded).
      await Promise.race([this.eof, Bun.sleep(200)]);
      this.onExit(code);
      return code;
    });
    // History, mail checks and `!` expansion are for humans; the prompt hook prints the sentinel once per command line.
    const init = [
      "set +H +o history",
      "unset HISTFILE MAILCHECK MAIL MAILPATH TMOUT PROMPT_COMMAND",
      "PS1='' PS2='' PS0=''",
      "stty -echo 2>/dev/null",
      `__co_prompt() { local r=$?; if [ -n "$__co_seq" ]; then printf ${sentinelPrintfFormat(nonce)} "$__co_seq" "$r"; __co_seq=; fi; return $r; }`,
      "PROMPT_COMMAND=__co_prompt",
      "__co_seq=0",
    ];
    this.terminal.write(`${init.join("; ")}\n`);
  }

  get alive(): boolean {
    return this.exitStatus === null;
  }

  get busy(): boolean {
    return this.pending !== null;
  }

  /** The command running now, if any. */
  get currentCommand(): string | null {
    return this.pending?.command ?? null;
  }

  get exitCode(): number | null {
    return this.exitStatus;
  }

  get cols(): number {
    return this.size.cols;
  }

  get rows(): number {
    return this.size.rows;
  }

  /** Environment exported before the next command (a reused session taking a new stage's `env`, SPEC §9.4). */
  queueEnv(env: Record<string, string>): void {
    for (const name of Object.keys(env)) checkEnvName(name);
    Object.assign(this.queuedEnv, env);
  }

  /** Runs one command line in the shell and resolves when it has finished. One command at a time. */
  run(command: string, options: PtyRunOptions = {}): Promise<PtyRunResult> {
    if (!this.alive) throw new RunFailedError(`Session shell has exited (status ${this.exitStatus}).`);
    if (this.pending !== null) throw new RunFailedError(`Session shell is busy running: ${this.pending.command}`);
    const env = { ...this.queuedEnv, ...(options.env ?? {}) };
    for (const name of Object.keys(env)) checkEnvName(name);
    this.queuedEnv = {};
    const seq = ++this.seq;
    const lines: string[] = [];
    for (const [name, value] of Object.entries(env)) {
      lines.push(...assignLines("__co_v", value), `export ${name}="$__co_v"`);
    }
    if (command.length <= LINE_PIECE) {
      lines.push(`__co_seq=${seq}; eval ${ansiCQuote(command)}`);
    } else {
      lines.push(...assignLines("__co_c", command), `__co_seq=${seq}; eval "$__co_c"`);
    }
    this.echoOff();
    this.commandCount++;
    this.lastUsedAt = Date.now();
    return new Promise((resolve) => {
      const pending: Pending = {
        seq,
        command,
        startedAt: performance.now(),
        output: new HeadTailBuffer(OUTPUT_LIMIT_BYTES),
        timedOut: false,
        timers: [],
        resolve,
      };
      if (options.onData !== undefined) pending.onData = options.onData;
      this.pending = pending;
      if (options.timeoutMs !== undefined && options.timeoutMs > 0) {
        pending.timers.push(setTimeout(() => this.onTimeout(pending), options.timeoutMs));
      }
      this.terminal.write(`${lines.join("\n")}\n`);
    });
  }

  /** Ctrl-C: the terminal sends SIGINT to the foreground job; the shell survives and reports the command's status. */
  interrupt(): void {
    if (this.alive) this.terminal.write("\x03");
  }

  resize(cols: number, rows: number): void {
    if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols < 1 || rows < 1 || cols > 10_000 || rows > 10_000) {
      throw new UsageError(`Invalid terminal size: ${cols}x${rows} (expected positive integers).`);
    }
    this.size = { cols, rows };
    if (this.alive) this.terminal.resize(cols, rows);
  }

  /** Raw input for an interactive program (keys, lines, control characters). */
  write(chars: string | Uint8Array): void {
    if (!this.alive) throw new RunFailedError(`Session shell has exited (status ${this.exitStatus}).`);
    this.lastUsedAt = Date.now();
    this.terminal.write(chars);
  }

  /** Subscribes to all output (CRLF → LF, no sentinels), inside commands or not. Returns the unsubscribe. */
  onOutput(listener: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The last `maxBytes` of output (any command), as text. */
  recentOutput(maxBytes = RECENT_BYTES): string {
    return this.recent.tailText(maxBytes);
  }

  /**
   * Ends the shell and its jobs: SIGHUP (bash forwards it to its jobs), then SIGKILL to the process group; whatever
   * is left in the terminal's session is killed when the exit is seen (Linux).
   */
  async dispose(): Promise<void> {
    if (this.alive) {
      signalGroup(this.pid, "SIGHUP");
      const done = await Promise.race([this.exited.then(() => true), Bun.sleep(500).then(() => false)]);
      if (!done) signalGroup(this.pid, "SIGKILL");
      await this.exited;
    }
    if (!this.terminal.closed) this.terminal.close();
  }

  private waitReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        void this.dispose();
        reject(new RunFailedError(`Session shell did not become ready within ${timeoutMs} ms.`));
      }, timeoutMs);
      this.readyWaiter = () => {
        clearTimeout(timer);
        resolve();
      };
      this.exited.then((code) => {
        clearTimeout(timer);
        reject(new RunFailedError(`Session shell exited during start-up (status ${code}).`));
      });
    });
  }

  private echoOff(): void {
    if (this.terminal.closed) return;
    const flags = this.terminal.localFlags;
    if ((flags & ECHO) !== 0) this.terminal.localFlags = flags & ~ECHO;
  }

  private onBytes(bytes: Uint8Array): void {
    this.stripper.push(
      bytes,
      (data) => this.onPlain(this.normalizer.push(data)),
      (sentinel) => this.onSentinel(sentinel),
    );
  }

  private onPlain(data: Uint8Array): void {
    // Anything before the ready sentinel is start-up noise.
    if (!this.ready || data.length === 0) return;
    this.recent.push(data);
    for (const listener of this.listeners) listener(data);
    const pending = this.pending;
    if (pending !== null) {
      pending.output.push(data);
      pending.onData?.(data);
    }
  }

  private onSentinel(sentinel: Sentinel): void {
    if (!this.ready) {
      if (sentinel.seq === 0) {
        this.ready = true;
        this.readyWaiter?.();
      }
      return;
    }
    const pending = this.pending;
    // A sentinel of an older command (e.g. one given up on) is ignored.
    if (pending === null || sentinel.seq !== pending.seq) return;
    this.onPlain(this.normalizer.flush());
    this.finish(pending, sentinel.exitCode, false);
  }

  private onTimeout(pending: Pending): void {
    if (this.pending !== pending) return;
    pending.timedOut = true;
    this.interrupt();
    // A command that ignores Ctrl-C takes the whole shell down with it.
    pending.timers.push(setTimeout(() => this.pending === pending && void this.dispose(), this.graceMs));
  }

  private onExit(code: number): void {
    orphanGuard.unregister(this.pid);
    this.stripper.flush((data) => this.onPlain(this.normalizer.push(data)));
    this.onPlain(this.normalizer.flush());
    this.exitStatus = code;
    if (this.pending !== null) this.finish(this.pending, code, true);
    if (!this.terminal.closed) this.terminal.close();
  }

  private finish(pending: Pending, exitCode: number, shellExited: boolean): void {
    for (const timer of pending.timers) clearTimeout(timer);
    this.pending = null;
    this.lastUsedAt = Date.now();
    pending.resolve({
      exitCode,
      output: pending.output.text(),
      outputBytes: pending.output.totalBytes,
      truncated: pending.output.truncated,
      timedOut: pending.timedOut,
      shellExited,
      durationMs: Math.round(performance.now() - pending.startedAt),
    });
  }
}

function checkEnvName(name: string): void {
  if (!isEnvName(name)) throw new UsageError(`Invalid environment variable name for a session: ${JSON.stringify(name)}`);
}

/** Shell lines assigning `value` to `variable`, each short enough for one terminal line. */
function assignLines(variable: string, value: string): string[] {
  const pieces = splitText(value, LINE_PIECE);
  if (pieces.length === 0) return [`${variable}=''`];
  return pieces.map((piece, i) => `${variable}${i === 0 ? "=" : "+="}${ansiCQuote(piece)}`);
}

/** SIGKILL to every process whose session id is `sid` (read from /proc; a no-op where there is none). */
function killSession(sid: number): void {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the command name (which may hold spaces and parentheses): state ppid pgrp session …
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[3]) === sid) process.kill(Number(entry), "SIGKILL");
    } catch {
      // Gone meanwhile, or not ours.
    }
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}
