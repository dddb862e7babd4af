import { CANCEL_SIGNALS, type CancelSignal, cancelExitCode } from "../core/cancel-signal.ts";

/** Something running that can be told to stop (an attempt, a PTY shell command). */
export type Cancellable = { cancel(signal: CancelSignal): void };

/**
 * Cancellation of one invocation (SPEC §13): the first SIGINT/SIGTERM/SIGHUP is recorded, every running attempt is
 * told, and attempts that start later are cancelled at once. Child runs share their parent's scope.
 */
export class CancelScope {
  private reason: CancelSignal | null = null;
  private why: string | null = null;
  private readonly running = new Set<Cancellable>();
  private readonly listeners = new Set<(signal: CancelSignal) => void>();

  get signal(): CancelSignal | null {
    return this.reason;
  }

  get cancelled(): boolean {
    return this.reason !== null;
  }

  /** Why, when the cancel came from the run itself rather than a signal to the CLI (a failed sibling stage). */
  get because(): string | null {
    return this.why;
  }

  cancel(signal: CancelSignal, because?: string): void {
    if (this.reason !== null) return;
    this.reason = signal;
    this.why = because ?? null;
    for (const item of this.running) item.cancel(signal);
    for (const listener of this.listeners) listener(signal);
  }

  /** Tracks a running item until the returned function is called; cancels it at once if already cancelled. */
  track(item: Cancellable): () => void {
    if (this.reason !== null) item.cancel(this.reason);
    this.running.add(item);
    return () => this.running.delete(item);
  }

  onCancel(listener: (signal: CancelSignal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * A scope cancelled with this one, which can also be cancelled alone: one graph stage (issue 17), so that a failed
   * stage cancels its running siblings without cancelling the run. `dispose` unlinks it once the stage has ended.
   */
  child(): { scope: CancelScope; dispose: () => void } {
    const scope = new CancelScope();
    if (this.reason !== null) scope.cancel(this.reason, this.why ?? undefined);
    const dispose = this.onCancel((signal) => scope.cancel(signal, this.why ?? undefined));
    return { scope, dispose };
  }
}

/**
 * Installs the cancelling signal handlers on the scope; a second signal exits at once with the code of that signal.
 * SIGHUP (the terminal closed) cancels like SIGTERM: without a handler the process would die with the run
 * `in_progress` (issue 22.6).
 */
export function installSignalHandlers(scope: CancelScope, exit: (code: number) => void = (c) => process.exit(c)): () => void {
  const handlers = CANCEL_SIGNALS.map((signal) => {
    const handler = () => {
      if (scope.cancelled) exit(cancelExitCode(signal));
      else scope.cancel(signal);
    };
    process.on(signal, handler);
    return () => process.off(signal, handler);
  });
  return () => {
    for (const off of handlers) off();
  };
}
