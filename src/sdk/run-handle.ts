/**
 * A streamed run of the `Orchestrator` client: an async iterable of typed events plus a `result` promise that
 * resolves to the `run:summary` payload once the CLI has exited (so the run's bookkeeping is complete by then).
 */
import { EventPayloads, type OrchestratorEvent, type RunSummaryPayload } from "../core/schemas/events.ts";
import { CliProcess, type CliProcessOptions } from "./cli-process.ts";
import { AbortedBeforeStartError, EventVersionError, RunWithoutSummaryError, lastLine } from "./errors.ts";
import type { RunOptions } from "./options.ts";

export type RunExit = { code: number | null; signal: string | null };

/** Above this many unread events the CLI's stdout is paused; reading resumes below the low mark. */
const HIGH_WATER = 1024;
const LOW_WATER = 256;

type Deferred<T> = { promise: Promise<T>; resolve(value: T): void; reject(error: Error): void };

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Unobserved rejections must not crash a caller that only iterates (or only awaits the other promise).
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/** A running `exec` or `start`; iterate it for events, await `result` for the summary, `cancel()` to stop it. */
export class RunHandle implements AsyncIterable<OrchestratorEvent> {
  /** Resolves with the `run:summary` payload after the CLI exited; rejects when no summary was printed. */
  readonly result: Promise<RunSummaryPayload>;
  /** Resolves with the CLI's exit code and signal (never rejects; `code` null when it could not start). */
  readonly exit: Promise<RunExit>;

  readonly #label: string;
  readonly #process: CliProcess | undefined;
  readonly #queue: OrchestratorEvent[] = [];
  readonly #warnings: Error[] = [];
  #summary: RunSummaryPayload | null = null;
  #runId: string | null = null;
  #error: Error | undefined;
  #done = false;
  #wake: (() => void) | undefined;
  #iterated = false;
  #detached = false;

  /** Starts the CLI; use `Orchestrator.exec` / `Orchestrator.start` instead of calling this directly. */
  constructor(binary: Promise<string>, args: readonly string[], spawnOptions: CliProcessOptions, options: RunOptions) {
    this.#label = `codex-orchestrator ${args[0] ?? ""}`.trim();
    const result = deferred<RunSummaryPayload>();
    const exit = deferred<RunExit>();
    this.result = result.promise;
    this.exit = exit.promise;
    const signal = options.signal;
    if (signal?.aborted) {
      this.#finish(new AbortedBeforeStartError(signal.reason));
      result.reject(this.#error as Error);
      exit.resolve({ code: null, signal: null });
      return;
    }
    const onAbort = () => this.cancel("SIGTERM");
    signal?.addEventListener("abort", onAbort, { once: true });
    let fatal: Error | undefined;
    this.#process = new CliProcess(binary, args, spawnOptions, {
      event: (event) => {
        this.#runId ??= typeof event.payload.runId === "string" ? event.payload.runId : null;
        if (event.type === "run:summary" && this.#summary === null) this.#summary = event.payload as RunSummaryPayload;
        // Types this SDK does not know are skipped (consumers ignore unknown event types, SPEC §15).
        if (!(event.type in EventPayloads) || this.#detached) return;
        this.#queue.push(event as OrchestratorEvent);
        if (this.#iterated && this.#queue.length >= HIGH_WATER) this.#process?.pause();
        this.#notify();
      },
      warning: (error) => {
        this.#warnings.push(error);
        options.onWarning?.(error);
      },
      stderr: (chunk) => options.onStderr?.(chunk),
      fatal: (error) => {
        fatal ??= error;
        // An envelope this SDK cannot read makes the rest of the stream meaningless: fail now, not at exit.
        if (error instanceof EventVersionError && !this.#done) {
          this.#finish(error);
          result.reject(error);
        }
      },
      close: ({ code, signal: exitSignal }) => {
        signal?.removeEventListener("abort", onAbort);
        exit.resolve({ code, signal: exitSignal });
        if (this.#done) return;
        const summary = this.#summary;
        if (summary !== null) {
          this.#finish(undefined);
          result.resolve(summary);
          return;
        }
        const error = fatal ?? this.#missingSummary(code, exitSignal);
        this.#finish(error);
        result.reject(error);
      },
    });
  }

  /** The `run:summary` payload once printed, else null. */
  get summary(): RunSummaryPayload | null {
    return this.#summary;
  }

  /** The run id (from the first event), else null. */
  get runId(): string | null {
    return this.#runId;
  }

  /** Lines of stdout that were not events. */
  get warnings(): readonly Error[] {
    return this.#warnings;
  }

  /** The CLI's stderr so far (its last 64 KiB). */
  get stderr(): string {
    return this.#process?.stderr ?? "";
  }

  /** Signals the CLI (default SIGTERM): the run ends `cancelled` and `result` resolves with that summary. */
  cancel(signal: NodeJS.Signals = "SIGTERM"): boolean {
    return this.#process?.kill(signal) ?? false;
  }

  /** Yields each known event in order; throws at the end if the run produced no summary. One iteration per handle. */
  async *[Symbol.asyncIterator](): AsyncGenerator<OrchestratorEvent, void, undefined> {
    if (this.#iterated) throw new TypeError("A run handle can be iterated only once.");
    this.#iterated = true;
    try {
      while (true) {
        const event = this.#queue.shift();
        if (event !== undefined) {
          if (this.#queue.length < LOW_WATER) this.#process?.resume();
          yield event;
          continue;
        }
        if (this.#done) break;
        await new Promise<void>((wake) => {
          this.#wake = wake;
        });
      }
      if (this.#error !== undefined) throw this.#error;
    } finally {
      // Leaving the loop early (break) does not cancel the run; stop buffering and keep draining the CLI's stdout.
      if (!this.#done) {
        this.#detached = true;
        this.#queue.length = 0;
        this.#process?.resume();
      }
    }
  }

  #missingSummary(code: number | null, signal: string | null): RunWithoutSummaryError {
    const stderr = this.#process?.stderr ?? "";
    const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
    const why = lastLine(stderr);
    return new RunWithoutSummaryError(`${this.#label} ${how} without a run:summary event${why ? `: ${why}` : "."}`, {
      exitCode: code,
      signal,
      stderr,
    });
  }

  #finish(error: Error | undefined): void {
    this.#error = error;
    this.#done = true;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
