import {
  type AttemptResult,
  type AttemptSpec,
  type ChunkHandler,
  DRAIN_AFTER_EXIT_MS,
  type RunningAttempt,
  spawnFailedResult,
} from "./attempt.ts";
import { OutputSink } from "./output-sink.ts";
import { AttemptControl } from "./attempt-control.ts";
import type { ProcessGroup } from "./process-group.ts";
import { checkWorkingDirectory, classifySpawnError } from "./spawn-error.ts";
import { orphanGuard } from "./orphan-guard.ts";

/**
 * One attempt on a fresh pseudo-terminal (`exec --tty`, SPEC §14.7): the command is the session leader of a new PTY,
 * stdout and stderr are one stream reported as "stdout". Reached through `startAttempt` when `spec.tty` is set.
 *
 * A PTY delivers output by callback and cannot be paused, so back-pressure is applied to the producer instead: when
 * more than HIGH_WATER bytes wait for the consumer, the process group is stopped (SIGSTOP) and continued (SIGCONT)
 * once the queue is below LOW_WATER. Memory stays bounded whatever the command prints.
 */

const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;
const DEFAULT_TERM = "xterm-256color";

export function startPtyAttempt(spec: AttemptSpec, onChunk: ChunkHandler): RunningAttempt {
  const startedAt = performance.now();
  const size = spec.tty ?? { cols: 80, rows: 24 };
  const failed = (result: AttemptResult): RunningAttempt => ({ pid: null, result: Promise.resolve(result), cancel() {} });

  const cwdError = checkWorkingDirectory(spec.cwd);
  if (cwdError !== null) return failed(spawnFailedResult(cwdError, startedAt));

  const sink = new OutputSink("stdout", onChunk);
  const queue: Uint8Array[] = [];
  let queuedBytes = 0;
  let accepting = true;
  let paused = false;
  let wake = null as (() => void) | null;
  let eof = false;
  let group: ProcessGroup | null = null;

  const onData = (bytes: Uint8Array): void => {
    if (!accepting) return;
    // Copied: the callback's buffer is not documented as ours to keep (and the sink releases what it is given). Not
    // `bytes.slice()`: the callback hands a Node Buffer, whose `slice` is a view of the same memory.
    queue.push(new Uint8Array(bytes));
    queuedBytes += bytes.byteLength;
    if (!paused && queuedBytes > HIGH_WATER && group !== null && group.stoppingWith === null) {
      paused = group.signal("SIGSTOP");
    }
    wake?.();
  };
  let onEof = (): void => {};
  const eofReached = new Promise<void>((resolve) => {
    onEof = () => {
      eof = true;
      resolve();
      wake?.();
    };
  });

  let proc: Bun.Subprocess;
  try {
    orphanGuard.ready();
    proc = Bun.spawn(spec.argv, {
      cwd: spec.cwd,
      env: { TERM: DEFAULT_TERM, ...spec.env },
      terminal: {
        cols: size.cols,
        rows: size.rows,
        name: spec.env.TERM ?? DEFAULT_TERM,
        data: (_terminal, bytes) => onData(bytes),
        exit: () => onEof(),
      },
    });
  } catch (error) {
    return failed(spawnFailedResult(classifySpawnError(error, spec.argv[0] ?? ""), startedAt));
  }
  // The PTY child is the leader of a new session, hence of its own process group.
  const control = new AttemptControl(proc.pid, spec);
  spec.input?.connect((data) => {
    proc.terminal?.write(data);
  });
  const pgroup = control.group;
  group = pgroup;

  /** Hands queued output to the sink in order until EOF (or the drain deadline stops accepting). */
  const drain = (async (): Promise<void> => {
    for (;;) {
      const next = queue.shift();
      if (next !== undefined) {
        queuedBytes -= next.byteLength;
        await sink.write(next);
        if (paused && queuedBytes < LOW_WATER) {
          paused = false;
          pgroup.signal("SIGCONT");
        }
        continue;
      }
      if (eof || !accepting) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = null;
    }
    await sink.end();
  })();

  const result = (async (): Promise<AttemptResult> => {
    await proc.exited;
    control.exited();
    spec.input?.connect(null);
    // The terminal's EOF, or give up DRAIN_AFTER_EXIT_MS after the exit.
    let drainTimer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      eofReached,
      new Promise<void>((resolve) => {
        drainTimer = setTimeout(resolve, DRAIN_AFTER_EXIT_MS);
      }),
    ]);
    clearTimeout(drainTimer);
    // Output arriving from here on (a descendant still holding the terminal) is dropped.
    accepting = false;
    wake?.();
    proc.terminal?.close();
    await drain;
    await control.settle();
    // One terminal stream, reported as stdout (SPEC §14.7).
    return control.result(proc, startedAt, sink.tail, null);
  })();

  return {
    pid: proc.pid,
    result,
    cancel(signal) {
      // terminate() also sends SIGCONT: a group stopped for back-pressure is stopped no longer.
      if (control.cancel(signal)) paused = false;
    },
  };
}
