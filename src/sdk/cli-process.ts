/**
 * One run of the CLI whose stdout is JSONL: spawns the executable with piped stdio, feeds stdout through the shared
 * parser and reports events, warnings, stderr and the exit. Both client layers are thin views over this.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { type JsonlItem, JsonlLineParser, type RawEvent } from "./jsonl-parser.ts";

/** Environment overrides: a string sets a variable, `undefined` removes it. */
export type EnvOverrides = Record<string, string | undefined>;

/** Layers environments over `process.env`; `undefined` values delete the variable. */
export function mergeEnv(...layers: (EnvOverrides | undefined)[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const layer of [process.env as EnvOverrides, ...layers]) {
    if (layer === undefined) continue;
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) delete env[key];
      else env[key] = value;
    }
  }
  return env;
}

export type CliProcessCallbacks = {
  event(event: RawEvent): void;
  warning(error: Error): void;
  stderr(chunk: string): void;
  /** Spawn failure or an unreadable stream (newer envelope version); the process may still be running. */
  fatal(error: Error): void;
  /** Once, after stdout and stderr closed (or after a spawn failure, with `spawned` false). */
  close(exit: { code: number | null; signal: string | null; spawned: boolean }): void;
};

export type CliProcessOptions = {
  cwd?: string;
  env: Record<string, string>;
  /** Written to the CLI's stdin before it is closed (`exec --stdin` hands it to the command). */
  input?: string | Uint8Array;
};

/** Keeps the last `limit` characters of stderr (the CLI's error line is at the end). */
const STDERR_LIMIT = 64 * 1024;

/** Longest wait for the CLI's first event before a queued signal is delivered anyway. */
const SIGNAL_HOLD_MS = 1000;

/** A started CLI process; `kill` is safe before the spawn finished and after the exit. */
export class CliProcess {
  #child: ChildProcess | undefined;
  #pendingSignal: NodeJS.Signals | undefined;
  #stderr = "";
  #closed = false;
  #paused = false;
  #sawEvent = false;
  #spawnedAt = 0;
  #signalTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(binary: Promise<string>, args: readonly string[], options: CliProcessOptions, callbacks: CliProcessCallbacks) {
    binary.then(
      (path) => this.#spawn(path, args, options, callbacks),
      (error: unknown) => this.#fail(error, callbacks),
    );
  }

  /** The stderr text so far (its last 64 KiB). */
  get stderr(): string {
    return this.#stderr;
  }

  /** Whether the process has ended (or never started). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends a signal to the CLI; false once the process ended. Until the CLI printed its first event (its signal
   * handlers are in place by then) the signal is held, at most `SIGNAL_HOLD_MS` after the spawn, so an early cancel
   * still produces a `cancelled` run instead of killing a process that cannot record it yet.
   */
  kill(signal: NodeJS.Signals): boolean {
    if (this.#closed) return false;
    const child = this.#child;
    if (child === undefined || !this.#sawEvent) {
      this.#pendingSignal ??= signal;
      if (child !== undefined) this.#armSignalTimer(child);
      return true;
    }
    if (child.exitCode !== null || child.signalCode !== null) return false;
    return signalProcess(child, signal);
  }

  #armSignalTimer(child: ChildProcess): void {
    if (this.#signalTimer !== undefined) return;
    const wait = Math.max(0, SIGNAL_HOLD_MS - (Date.now() - this.#spawnedAt));
    this.#signalTimer = setTimeout(() => this.#flushSignal(child), wait);
  }

  #flushSignal(child: ChildProcess): void {
    if (this.#signalTimer !== undefined) clearTimeout(this.#signalTimer);
    this.#signalTimer = undefined;
    const signal = this.#pendingSignal;
    this.#pendingSignal = undefined;
    if (signal !== undefined && !this.#closed && child.exitCode === null && child.signalCode === null) signalProcess(child, signal);
  }

  /** Stops reading stdout (back-pressure for a slow consumer); the CLI blocks once the pipe is full. */
  pause(): void {
    this.#paused = true;
    this.#child?.stdout?.pause();
  }

  /** Resumes reading stdout. */
  resume(): void {
    this.#paused = false;
    this.#child?.stdout?.resume();
  }

  #fail(error: unknown, callbacks: CliProcessCallbacks): void {
    if (this.#closed) return;
    this.#closed = true;
    callbacks.fatal(error instanceof Error ? error : new Error(String(error)));
    callbacks.close({ code: null, signal: null, spawned: false });
  }

  #spawn(path: string, args: readonly string[], options: CliProcessOptions, callbacks: CliProcessCallbacks): void {
    let child: ChildProcess;
    try {
      child = spawn(path, [...args], { cwd: options.cwd, env: options.env, stdio: ["pipe", "pipe", "pipe"] });
    } catch (error) {
      this.#fail(error, callbacks);
      return;
    }
    this.#child = child;
    this.#spawnedAt = Date.now();
    const parser = new JsonlLineParser();
    let broken = false;
    const deliver = (items: JsonlItem[]) => {
      for (const item of items) {
        if (broken) return;
        if (item.kind === "event") {
          if (!this.#sawEvent) {
            this.#sawEvent = true;
            this.#flushSignal(child);
          }
          callbacks.event(item.event);
        }
        else if (item.kind === "warning") callbacks.warning(item.error);
        else {
          broken = true;
          callbacks.fatal(item.error);
        }
      }
    };
    // Only `exec` reads stdin (passing it to the command); closing it at once gives EOF to anything that tries. A
    // write racing the child's exit fails with EPIPE, which must not become an uncaught exception.
    child.stdin?.on("error", () => {});
    if (options.input === undefined) child.stdin?.end();
    else child.stdin?.end(options.input);
    child.stdout?.on("data", (chunk: Uint8Array) => deliver(parser.push(chunk)));
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_LIMIT);
      callbacks.stderr(chunk);
    });
    child.on("error", (error) => {
      // `error` without a later `close` happens only when the spawn itself failed (ENOENT, EACCES).
      if (child.pid === undefined) this.#fail(error, callbacks);
      else callbacks.fatal(error);
    });
    child.on("close", (code, signal) => {
      if (this.#closed) return;
      deliver(parser.end());
      if (this.#signalTimer !== undefined) clearTimeout(this.#signalTimer);
      this.#closed = true;
      callbacks.close({ code, signal, spawned: true });
    });
    if (this.#paused) child.stdout?.pause();
    if (this.#pendingSignal !== undefined && child.pid !== undefined) this.#armSignalTimer(child);
  }
}

/**
 * Signals a child by pid rather than `child.kill`: Deno's `node:child_process` then records the child as killed by
 * that signal, reporting `signal: "SIGTERM"` and no exit code even when the CLI caught it and exited 143 (and refuses
 * later signals). `process.kill` keeps the real exit status on all three runtimes.
 */
export function signalProcess(child: ChildProcess, signal: NodeJS.Signals): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(child.pid, signal);
    return true;
  } catch {
    return false; // already gone (ESRCH)
  }
}
