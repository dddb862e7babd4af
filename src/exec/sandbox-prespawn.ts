import { closeSync, readSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import type { LandlockProbe } from "../core/sandbox-backend.ts";
import { SANDBOX_HELPER_ENTRY } from "../core/sandbox-policy.ts";
import type { AttemptSpec } from "./attempt.ts";
import { HANDOFF_FLAG, decodeReady, encodeHandoff } from "./sandbox-handoff.ts";
import { selfCommand } from "./self-command.ts";

/**
 * The sandbox helper started ahead of its command (issue 15/21). The helper is a whole start of the executable (a
 * compiled Bun program: about 15 ms here), and on the sandboxed path it came after all of the run's bookkeeping
 * (config, manifest, approvals), so every sandboxed `exec` paid it in full. Started as soon as the invocation knows it
 * will want one, it gets ready (runtime, libc, Landlock probe) while the orchestrator prepares the run, and waits on
 * descriptor 3; the attempt then hands it `<policy> -- <argv>`, the environment and the cwd, and the helper restricts
 * itself and `execve`s, keeping the pid, process group and pipes the runner already holds.
 *
 * Nothing runs unless an attempt hands the command over: an orchestrator that decides not to run (approval denied,
 * the sandbox unavailable, another backend chosen, an error) discards the helper, which has executed nothing; one that
 * dies closes descriptor 3 with it, and the helper reads end-of-file and exits. One helper per process, for the first
 * attempt that fits it (same stdin, no terminal, the Landlock helper's own command line); every other attempt
 * (a retry, a PTY, a session shell) spawns the usual way.
 */

type Waiting = {
  proc: Bun.Subprocess<"ignore" | "inherit", "pipe", "pipe">;
  /** Our end of the helper's descriptor 3 (a socket, non-blocking, close-on-exec). */
  fd: number;
  stdin: "inherit" | "ignore";
  /** The helper's command line up to and including the entry word, as a wrapped attempt's argv starts. */
  prefix: string[];
  /** Its probe report once read (null: it cannot give one); undefined until then (`prespawnedLandlockProbe`). */
  probe: LandlockProbe | null | undefined;
};

let waiting: Waiting | null = null;

/**
 * A long-lived host (a pipeline run, the MCP server) keeps one helper waiting for its next sandboxed attempt: each
 * Landlock attempt that starts, from a waiting helper or its own, starts the next one soon after, so that every
 * sandboxed stage or call but the first finds its helper ready instead of paying a whole start of the executable.
 * Null: off (a one-command `exec` starts at most the one helper it knows it needs).
 */
let warm: { env: Record<string, string | undefined> } | null = null;
/** A refill scheduled and not yet run (at most one). */
let refillTimer: ReturnType<typeof setTimeout> | null = null;

/** `CODEX_ORCHESTRATOR_SANDBOX_PRESPAWN=0` turns this off (the helper then starts with its attempt, as before). */
export const SANDBOX_PRESPAWN_ENV = "CODEX_ORCHESTRATOR_SANDBOX_PRESPAWN";

/**
 * Starts the waiting helper (at most one). `stdin` must be what the attempt will ask for. Never throws: without it,
 * the attempt spawns its helper the usual way.
 */
export function prespawnSandboxHelper(input: { stdin: "inherit" | "ignore"; env?: Record<string, string | undefined> }): void {
  if (waiting !== null) return;
  const prefix = [...selfCommand(), SANDBOX_HELPER_ENTRY];
  try {
    const proc = Bun.spawn([...prefix, HANDOFF_FLAG], {
      cwd: "/",
      env: input.env ?? process.env,
      stdio: [input.stdin, "pipe", "pipe", "pipe"],
      // As the attempt would: its own session and process group, pipes read only once the attempt reads them.
      detached: true,
      lazy: true,
    });
    const fd = (proc.stdio as unknown as (number | null)[])[3];
    if (typeof fd !== "number") {
      proc.kill("SIGKILL");
      return;
    }
    waiting = { proc: proc as unknown as Waiting["proc"], fd, stdin: input.stdin, prefix, probe: undefined };
  } catch {
    // No helper ahead of time: the attempt starts its own.
  }
}

/**
 * The waiting helper, handed this attempt's command, when the attempt is the one it was started for; null otherwise
 * (the attempt then spawns as usual). A helper that can no longer take the command (it died) is discarded, unused.
 */
export function takePrespawnedHelper(spec: AttemptSpec): Waiting["proc"] | null {
  const w = waiting;
  if (w === null || spec.tty !== undefined) return null;
  if ((spec.stdin === "inherit" ? "inherit" : "ignore") !== w.stdin) return null;
  if (spec.argv.length <= w.prefix.length || !w.prefix.every((word, i) => spec.argv[i] === word)) return null;
  waiting = null;
  const message = encodeHandoff({ args: spec.argv.slice(w.prefix.length), env: spec.env, cwd: resolve(spec.cwd) });
  const sent = writeAll(w.fd, Buffer.from(message, "utf8"));
  closeQuietly(w.fd);
  if (!sent) {
    w.proc.kill("SIGKILL");
    return null;
  }
  return w.proc;
}

/**
 * What the waiting helper's Landlock probe found, if it has said so yet (it reports once it runs, on descriptor 3:
 * sandbox-handoff.ts): the orchestrator then need not load `bun:ffi` and probe the kernel itself. Never waits for the
 * helper — waiting would put the helper's start-up before the rest of the attempt's preparation instead of beside it —
 * so null means "probe yourself": no helper waits, it has not reported yet, or it ended or said something else.
 */
export function prespawnedLandlockProbe(): LandlockProbe | null {
  const w = waiting;
  if (w === null) return null;
  if (w.probe === undefined) w.probe = readReport(w.fd);
  return w.probe ?? null;
}

/** The helper's ready line, if it is there to read on our non-blocking end of its descriptor 3. */
function readReport(fd: number): LandlockProbe | null | undefined {
  const buffer = Buffer.alloc(512);
  let n: number;
  try {
    n = readSync(fd, buffer, 0, buffer.length, null);
  } catch {
    // EAGAIN: not yet. Asked again next time.
    return undefined;
  }
  const text = buffer.toString("utf8", 0, n);
  const end = text.indexOf("\n");
  // The line is written at once and is far shorter than a socket buffer; anything else is not a report.
  return end === -1 ? null : decodeReady(text.slice(0, end));
}

/**
 * Turns on keeping a helper waiting (see `warm`). Starts none by itself: the first Landlock attempt does, so a host
 * whose attempts are never sandboxed never starts one.
 */
export function keepSandboxHelperWarm(env: Record<string, string | undefined> = process.env): void {
  if (process.platform !== "linux" || process.env[SANDBOX_PRESPAWN_ENV] === "0" || env[SANDBOX_PRESPAWN_ENV] === "0") return;
  warm = { env };
}

/** Turns it off again and ends the waiting helper, if any (it executed nothing). */
export async function stopKeepingSandboxHelperWarm(): Promise<void> {
  warm = null;
  if (refillTimer !== null) clearTimeout(refillTimer);
  refillTimer = null;
  await discardPrespawnedHelper();
}

/**
 * Called by the runner once an attempt has started: when a helper is kept warm and this attempt was the Landlock
 * helper's, the next one is started on the next turn of the event loop (after the attempt's own start, not in its way),
 * with the same stdin.
 */
export function sandboxAttemptStarted(spec: AttemptSpec): void {
  if (warm === null || waiting !== null || refillTimer !== null || spec.tty !== undefined) return;
  const prefix = [...selfCommand(), SANDBOX_HELPER_ENTRY];
  if (spec.argv.length <= prefix.length || !prefix.every((word, i) => spec.argv[i] === word)) return;
  const stdin = spec.stdin === "inherit" ? "inherit" : "ignore";
  refillTimer = setTimeout(() => {
    refillTimer = null;
    if (warm !== null) prespawnSandboxHelper({ stdin, env: warm.env });
  }, 0);
}

/** Ends a helper no attempt took: descriptor 3 closed unwritten (it executes nothing), then SIGKILL, and reaped. */
export async function discardPrespawnedHelper(): Promise<void> {
  const w = waiting;
  if (w === null) return;
  waiting = null;
  closeQuietly(w.fd);
  w.proc.kill("SIGKILL");
  await w.proc.exited;
}

/** The whole message on a non-blocking socket: a full buffer is waited out (the helper drains it once it is ready). */
function writeAll(fd: number, bytes: Buffer): boolean {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = performance.now() + 10_000;
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN" || performance.now() > deadline) return false;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
  return true;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
