import type { AttemptResult } from "../exec/attempt.ts";
import { type OutputChunk, Utf8Chunker } from "../exec/chunker.ts";
import type { PtyShell } from "../exec/pty-shell.ts";
import { TailBuffer } from "../exec/tail-buffer.ts";
import type { CancelScope } from "./cancel-scope.ts";

export type ShellHandle = PtyShell;

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
  const chunker = new Utf8Chunker("stdout");
  const tail = new TailBuffer();
  let cancelledBy: "SIGINT" | "SIGTERM" | null = null;
  // The shell pushes output synchronously; chunks are handed on in order through one promise chain.
  let chain: Promise<void> = Promise.resolve();
  const forward = (chunks: OutputChunk[]) => {
    for (const chunk of chunks) chain = chain.then(() => options.onChunk(chunk));
  };
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
        tail.push(bytes);
        forward(chunker.push(bytes));
      },
    });
    forward(chunker.end());
    await chain;
    return {
      exitCode: result.exitCode,
      signal: null,
      durationMs: Math.round(result.durationMs ?? performance.now() - started),
      stdout: tail.text(),
      stderr: "",
      stdoutBytes: tail.totalBytes,
      stderrBytes: 0,
      timedOut: result.timedOut,
      cancelledBy,
      spawnError: null,
    };
  } finally {
    untrack();
  }
}
