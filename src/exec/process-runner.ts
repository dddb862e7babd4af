import {
  type AttemptResult,
  type AttemptSpec,
  type ChunkHandler,
  DRAIN_AFTER_EXIT_MS,
  type RunningAttempt,
  spawnFailedResult,
} from "./attempt.ts";
import { AttemptControl } from "./attempt-control.ts";
import { OutputSink } from "./output-sink.ts";
import { startPtyAttempt } from "./pty-once.ts";
import { checkWorkingDirectory, classifySpawnError, type SpawnError } from "./spawn-error.ts";
import { orphanGuard } from "./orphan-guard.ts";
import { sandboxAttemptStarted, takePrespawnedHelper } from "./sandbox-prespawn.ts";
import { spawnInSandboxThread } from "./sandbox-thread.ts";

export type { AttemptResult, AttemptSpec, ChunkHandler, RunningAttempt } from "./attempt.ts";

/**
 * Runs ONE attempt of a command (SPEC §9.3, §14): its own process group, stdin /dev/null (or the orchestrator's own
 * with `spec.stdin: "inherit"`), stdout/stderr piped and
 * cut into chunks handed to `onChunk` (awaited: a slow consumer slows the reads), bounded tails, timeout and
 * cancellation of the whole group. With `spec.tty` the command runs on a fresh PTY instead (`pty-once.ts`).
 * Never throws: a command that cannot start gives a result with `spawnError`.
 */
export function startAttempt(spec: AttemptSpec, onChunk: ChunkHandler): RunningAttempt {
  if (spec.tty !== undefined) return startPtyAttempt(spec, onChunk);
  return startPipeAttempt(spec, onChunk);
}

function startPipeAttempt(spec: AttemptSpec, onChunk: ChunkHandler): RunningAttempt {
  const startedAt = performance.now();
  const failed = (error: SpawnError): RunningAttempt => ({
    pid: null,
    result: Promise.resolve(spawnFailedResult(error, startedAt)),
    cancel() {},
  });

  const cwdError = checkWorkingDirectory(spec.cwd);
  if (cwdError !== null) return failed(cwdError);

  let proc: PipeProcess;
  try {
    orphanGuard.ready();
    // A Landlock attempt is spawned by the sandbox thread of its policy (sandbox-thread.ts); failing that, a helper
    // started ahead of time for it becomes the command (sandbox-prespawn.ts), else the helper starts now.
    const threaded = spawnInSandboxThread(spec);
    if (threaded instanceof Error) return failed(classifySpawnError(threaded, spec.argv[0] ?? ""));
    proc = threaded ?? takePrespawnedHelper(spec) ?? Bun.spawn(spec.argv, {
      cwd: spec.cwd,
      env: spec.env,
      stdin: spec.stdin === "inherit" ? "inherit" : "ignore",
      stdout: "pipe",
      stderr: "pipe",
      // setsid(): a new session and process group, so signals reach every descendant via -pid.
      detached: true,
      // Without `lazy`, Bun reads the pipes eagerly into an unbounded buffer until the stream is touched.
      lazy: true,
    });
  } catch (error) {
    return failed(classifySpawnError(error, spec.argv[0] ?? ""));
  }

  // A helper kept warm is for attempts the threads do not take (sandbox-prespawn.ts).
  if (proc.release === undefined) sandboxAttemptStarted(spec);
  const control = new AttemptControl(proc.pid, spec);

  const stdout = new OutputSink("stdout", onChunk);
  const stderr = new OutputSink("stderr", onChunk);
  const stdoutReader = proc.stdout.getReader();
  const stderrReader = proc.stderr.getReader();
  const pumps = Promise.all([pump(stdoutReader, stdout), pump(stderrReader, stderr)]);

  const result = (async (): Promise<AttemptResult> => {
    await proc.exited;
    control.exited();
    // Both streams at EOF, or give up on them DRAIN_AFTER_EXIT_MS after the exit: cancelling the readers makes the
    // pumps finish what they already read and stop; later output is dropped.
    let drainTimer: ReturnType<typeof setTimeout> | undefined;
    const drainDeadline = new Promise<void>((resolve) => {
      drainTimer = setTimeout(resolve, DRAIN_AFTER_EXIT_MS);
    });
    const drained = await Promise.race([pumps.then(() => true), drainDeadline.then(() => false)]);
    clearTimeout(drainTimer);
    if (!drained) {
      await Promise.all([stdoutReader.cancel().catch(() => {}), stderrReader.cancel().catch(() => {})]);
      await pumps;
    }
    proc.release?.();
    await control.settle();
    return control.result(proc, startedAt, stdout.tail, stderr.tail);
  })();

  return {
    pid: proc.pid,
    result,
    cancel(signal) {
      control.cancel(signal);
    },
  };
}

/** What the runner needs of a spawned command: a Bun subprocess, or one the sandbox thread spawned. */
type PipeProcess = {
  readonly pid: number;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly exited: Promise<unknown>;
  readonly exitCode: number | null;
  readonly signalCode: string | number | null;
  /** Closes what the runner must close once both streams are done (the thread's pipes; Bun closes its own). */
  release?(): void;
};

/** Reads one stream to its end (or until its reader is cancelled), one read at a time after the sink took the last. */
async function pump(reader: ReadableStreamDefaultReader<Uint8Array>, sink: OutputSink): Promise<void> {
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await sink.write(value);
    }
  } catch {
    // A read error ends the stream like EOF.
  }
  await sink.end();
}
