import type { CancelSignal } from "../core/cancel-signal.ts";
import { signalName } from "../platform/signals.ts";
import { type AttemptResult, DEFAULT_GRACE_MS } from "./attempt.ts";
import type { TailView } from "./output-sink.ts";
import { ProcessGroup } from "./process-group.ts";

/**
 * The life of one spawned attempt's process group, shared by the pipe and PTY runners: the timeout (SIGTERM, then
 * SIGKILL after the grace), cancellation with the first signal recorded, and the settling at the end.
 */
export class AttemptControl {
  readonly group: ProcessGroup;
  timedOut = false;
  cancelledBy: CancelSignal | null = null;
  private ended = false;
  private readonly graceMs: number;
  private timer: ReturnType<typeof setTimeout> | null;

  constructor(pid: number, spec: { timeoutMs?: number; graceMs?: number }) {
    this.group = new ProcessGroup(pid);
    this.graceMs = spec.graceMs ?? DEFAULT_GRACE_MS;
    this.timer =
      spec.timeoutMs === undefined
        ? null
        : setTimeout(() => {
            this.timedOut = true;
            this.group.terminate("SIGTERM", this.graceMs);
          }, spec.timeoutMs);
  }

  /** The leader exited: no timeout from here on. */
  exited(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Sends `signal` to the group (SIGKILL after the grace); a no-op once the attempt has ended. */
  cancel(signal: CancelSignal): boolean {
    if (this.ended) return false;
    this.cancelledBy ??= signal;
    this.group.terminate(signal, this.graceMs);
    return true;
  }

  /** The result of an attempt whose process ran: its exit, the retained tails (null: a stream not reported), this state. */
  result(
    proc: { exitCode: number | null; signalCode: string | number | null },
    startedAt: number,
    stdout: TailView,
    stderr: TailView | null,
  ): AttemptResult {
    return {
      exitCode: proc.exitCode,
      signal: signalName(proc.signalCode),
      durationMs: Math.round(performance.now() - startedAt),
      stdout: stdout.text(),
      stderr: stderr?.text() ?? "",
      stdoutBytes: stdout.totalBytes,
      stderrBytes: stderr?.totalBytes ?? 0,
      timedOut: this.timedOut,
      cancelledBy: this.cancelledBy,
      spawnError: null,
    };
  }

  /** Waits for a terminated group to be gone; afterwards `cancel` does nothing. */
  async settle(): Promise<void> {
    await this.group.settle();
    this.ended = true;
  }
}
