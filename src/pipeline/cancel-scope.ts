/** Something running that can be told to stop (an attempt, a PTY shell command). */
export type Cancellable = { cancel(signal: "SIGINT" | "SIGTERM"): void };

/**
 * Cancellation of one invocation (SPEC §13): the first SIGINT/SIGTERM is recorded, every running attempt is told, and
 * attempts that start later are cancelled at once. Child runs share their parent's scope.
 */
export class CancelScope {
  private reason: "SIGINT" | "SIGTERM" | null = null;
  private readonly running = new Set<Cancellable>();
  private readonly listeners = new Set<(signal: "SIGINT" | "SIGTERM") => void>();

  get signal(): "SIGINT" | "SIGTERM" | null {
    return this.reason;
  }

  get cancelled(): boolean {
    return this.reason !== null;
  }

  cancel(signal: "SIGINT" | "SIGTERM"): void {
    if (this.reason !== null) return;
    this.reason = signal;
    for (const item of this.running) item.cancel(signal);
    for (const listener of this.listeners) listener(signal);
  }

  /** Tracks a running item until the returned function is called; cancels it at once if already cancelled. */
  track(item: Cancellable): () => void {
    if (this.reason !== null) item.cancel(this.reason);
    this.running.add(item);
    return () => this.running.delete(item);
  }

  onCancel(listener: (signal: "SIGINT" | "SIGTERM") => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Installs SIGINT/SIGTERM handlers that cancel the scope; a second signal exits at once with the same code. */
export function installSignalHandlers(scope: CancelScope, exit: (code: number) => void = (c) => process.exit(c)): () => void {
  const handler = (signal: "SIGINT" | "SIGTERM") => {
    if (scope.cancelled) {
      exit(signal === "SIGINT" ? 130 : 143);
      return;
    }
    scope.cancel(signal);
  };
  const onInt = () => handler("SIGINT");
  const onTerm = () => handler("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  return () => {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  };
}
