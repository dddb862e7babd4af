import type { CancelSignal } from "../core/cancel-signal.ts";
import type { AttemptResult } from "../exec/attempt.ts";
import type { OutputChunk } from "../exec/chunker.ts";
import { RunFailedError } from "../core/errors.ts";
import { execInSession } from "../exec/session-client.ts";
import type { SessionSandbox } from "../exec/session-manager.ts";
import { OutputSink } from "../exec/output-sink.ts";
import type { CancelScope } from "./cancel-scope.ts";

/** A live shell that runs one command line at a time: a `PtyShell` of this process, or a session host's shell. */
export type ShellHandle = {
  run(
    command: string,
    options: { env?: Record<string, string>; timeoutMs?: number; onData?: (bytes: Uint8Array) => void },
  ): Promise<{ exitCode: number | null; timedOut: boolean; durationMs: number }>;
  interrupt(): void;
};

/** The shell `id` of the session host (`exec --session`), created on first use with `cwd`/`env`. */
export function hostedShell(
  runsRoot: string,
  id: string,
  target: {
    taskId: string;
    cwd: string;
    env: Record<string, string | undefined>;
    onNotice: (line: string) => void;
    /** The shell's sandbox (issue 15); null: none can be enforced, and nothing may be run in it. */
    sandbox: SessionSandbox | null;
  },
): ShellHandle {
  let abort: AbortController | null = null;
  return {
    async run(command, options) {
      if (target.sandbox === null) throw new RunFailedError("The session's sandbox cannot be enforced; nothing was run.");
      abort = new AbortController();
      try {
        return await execInSession(runsRoot, id, command, {
          taskId: target.taskId,
          cwd: target.cwd,
          env: target.env,
          sandbox: target.sandbox,
          ...(options.env ? { setEnv: options.env } : {}),
          ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
          ...(options.onData ? { onData: options.onData } : {}),
          signal: abort.signal,
          onNotice: target.onNotice,
        });
      } finally {
        abort = null;
      }
    },
    interrupt() {
      abort?.abort();
    },
  };
}

/**
 * Runs a stage command inside a live session shell (SPEC §9.4) and reports it like any attempt: one output stream
 * (`stdout`), the command's own exit code. Cancellation interrupts the command (Ctrl-C); the shell lives on.
 */
export async function runInShell(
  shell: ShellHandle,
  command: string,
  options: {
    env: Record<string, string>;
    timeoutMs?: number | undefined;
    cancel: CancelScope;
    onChunk: (chunk: OutputChunk) => void | Promise<void>;
  },
): Promise<AttemptResult> {
  // The same byte source as a spawned attempt: redaction, chunking and the retained tail (exec/output-sink.ts).
  const sink = new OutputSink("stdout", options.onChunk);
  let cancelledBy: CancelSignal | null = null;
  // The shell pushes output synchronously; it is handed on in order through one promise chain (a copy each: the sink
  // releases the buffers it is given).
  let chain: Promise<void> = Promise.resolve();
  const untrack = options.cancel.track({
    cancel(signal) {
      cancelledBy = signal;
      shell.interrupt();
    },
  });
  const started = performance.now();
  try {
    const result = await shell.run(command, {
      env: options.env,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      onData(bytes) {
        const copy = new Uint8Array(bytes);
        chain = chain.then(() => sink.write(copy));
      },
    });
    chain = chain.then(() => sink.end());
    await chain;
    return {
      exitCode: result.exitCode ?? 1,
      signal: null,
      durationMs: Math.round(result.durationMs ?? performance.now() - started),
      stdout: sink.tail.text(),
      stderr: "",
      stdoutBytes: sink.tail.totalBytes,
      stderrBytes: 0,
      timedOut: result.timedOut,
      cancelledBy,
      spawnError: null,
    };
  } finally {
    untrack();
  }
}
