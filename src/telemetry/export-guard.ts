import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import type { SendBatch } from "./otlp-sender.ts";

export type ExportGuardOptions = {
  send: SendBatch;
  warn: (line: string) => void;
  /** Per-request timeout; kept below the exporter's smallest internal back-off (see otlp-sender.ts). */
  requestTimeoutMs?: number;
  /** A span waits at most this long for a background export during a long run. */
  intervalMs?: number;
  maxRequestsPerWindow?: number;
  windowMs?: number;
  maxQueuedSpans?: number;
  /** The policy's clock: what it reads, and how it waits (a back-off, the request budget). Tests inject their own. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
};

/** One export request as the policy scheduled it: when it started (on the guard's clock) and the timeout it got. */
export type ExportAttempt = { at: number; timeoutMs: number };

/** Counters for tests and diagnostics. `requests` = export attempts = HTTP requests sent. */
export type ExportStats = {
  requests: number;
  failures: number;
  exportedSpans: number;
  droppedSpans: number;
  disabled: boolean;
  /** Every attempt in order (at most 3 a minute, so this stays small), for checking the policy without a stopwatch. */
  attempts: readonly ExportAttempt[];
};

export const DISABLE_AFTER_FAILURES = 3;

/**
 * The export policy of SPEC §20, around one sender: spans are queued and sent in batches, at most
 * `maxRequestsPerWindow` requests in any `windowMs`; after a failure the next request waits
 * min(500 ms × 2^(failures−1), 5 s); 3 consecutive failures disable exporting for the process with one warning.
 * During the run a batch goes out at most every `intervalMs` (30 s, so a final export at exit always fits the
 * 3-a-minute budget); `drain` sends what is left within a hard time budget and drops the rest. Nothing here throws.
 */
export class ExportGuard {
  private queue: ReadableSpan[] = [];
  private attemptTimes: number[] = [];
  private consecutiveFailures = 0;
  private lastFailureAt = 0;
  private inFlight: Promise<void> | null = null;
  private inFlightSpans = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private stopped = false;
  private readonly counters: Omit<ExportStats, "attempts"> = {
    requests: 0,
    failures: 0,
    exportedSpans: 0,
    droppedSpans: 0,
    disabled: false,
  };
  private readonly attempts: ExportAttempt[] = [];
  private readonly requestTimeoutMs: number;
  private readonly intervalMs: number;
  private readonly maxRequests: number;
  private readonly windowMs: number;
  private readonly maxQueued: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ExportGuardOptions) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 750;
    this.intervalMs = options.intervalMs ?? 30_000;
    this.maxRequests = options.maxRequestsPerWindow ?? 3;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxQueued = options.maxQueuedSpans ?? 4096;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
  }

  stats(): ExportStats {
    return { ...this.counters, attempts: this.attempts.map((a) => ({ ...a })) };
  }

  add(span: ReadableSpan): void {
    if (this.counters.disabled || this.closed || this.queue.length >= this.maxQueued) {
      this.counters.droppedSpans += 1;
      return;
    }
    this.queue.push(span);
    this.schedule();
  }

  /** Sends what is queued within `budgetMs` (including any request already in flight); the rest is dropped. */
  async drain(budgetMs: number): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const deadline = this.now() + budgetMs;
    await raceTimeout(this.drainLoop(deadline), budgetMs);
    // Out of time: a request still in flight no longer counts, whatever it answers later.
    this.stopped = true;
    if (this.inFlight !== null) this.counters.droppedSpans += this.inFlightSpans;
    this.counters.droppedSpans += this.queue.length;
    this.queue = [];
  }

  private async drainLoop(deadline: number): Promise<void> {
    while (!this.stopped && !this.counters.disabled) {
      if (this.inFlight !== null) {
        await this.inFlight;
        continue;
      }
      if (this.queue.length === 0) return;
      const at = this.nextAllowedAt();
      // A request needs some time to be worth sending; one that cannot start before the deadline is not sent.
      if (at > deadline - MIN_USEFUL_REQUEST_MS) return;
      if (at > this.now()) await this.sleep(at - this.now());
      if (this.stopped) return;
      await this.attempt(deadline);
    }
  }

  /** Background export during the run: one timer, unref'd so it never keeps the process alive. */
  private schedule(): void {
    if (this.timer !== null || this.closed || this.counters.disabled || this.queue.length === 0) return;
    const now = this.now();
    const at = Math.max(now + this.intervalMs, this.nextAllowedAt());
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.closed || this.inFlight !== null) return;
      void this.attempt(Number.POSITIVE_INFINITY).then(() => this.schedule());
    }, at - now);
    (this.timer as { unref?: () => void }).unref?.();
  }

  private nextAllowedAt(): number {
    const now = this.now();
    let at = now;
    if (this.consecutiveFailures > 0) {
      const backoff = Math.min(500 * 2 ** (this.consecutiveFailures - 1), 5000);
      at = Math.max(at, this.lastFailureAt + backoff);
    }
    this.attemptTimes = this.attemptTimes.filter((t) => now - t < this.windowMs);
    if (this.attemptTimes.length >= this.maxRequests) {
      const oldestThatMustExpire = this.attemptTimes[this.attemptTimes.length - this.maxRequests] as number;
      at = Math.max(at, oldestThatMustExpire + this.windowMs);
    }
    return at;
  }

  /** One request with everything queued. Failures put the batch back (until the exporter is disabled). */
  private attempt(deadline: number): Promise<void> {
    const run = async () => {
      const batch = this.queue;
      this.queue = [];
      if (batch.length === 0) return;
      const start = this.now();
      const timeoutMs = Math.max(1, Math.min(this.requestTimeoutMs, deadline - start));
      this.attemptTimes.push(start);
      this.attempts.push({ at: start, timeoutMs });
      this.counters.requests += 1;
      this.inFlightSpans = batch.length;
      try {
        await raceTimeout(this.options.send(batch, timeoutMs), timeoutMs + TIMEOUT_GRACE_MS, () => {
          throw new Error(`export request timed out after ${Math.round(timeoutMs)} ms`);
        });
        if (this.stopped) return;
        this.consecutiveFailures = 0;
        this.counters.exportedSpans += batch.length;
      } catch (error) {
        if (this.stopped) return;
        this.consecutiveFailures += 1;
        this.counters.failures += 1;
        this.lastFailureAt = this.now();
        if (this.consecutiveFailures >= DISABLE_AFTER_FAILURES) {
          this.counters.disabled = true;
          this.counters.droppedSpans += batch.length + this.queue.length;
          this.queue = [];
          const message = error instanceof Error ? error.message : String(error);
          safeWarn(this.options.warn, `Telemetry disabled after 3 consecutive failures: ${message}`);
        } else {
          const room = Math.max(0, this.maxQueued - this.queue.length);
          this.counters.droppedSpans += Math.max(0, batch.length - room);
          this.queue = batch.slice(0, room).concat(this.queue);
        }
      }
    };
    const promise = run().finally(() => {
      if (this.inFlight === promise) this.inFlight = null;
    });
    this.inFlight = promise;
    return promise;
  }
}

const MIN_USEFUL_REQUEST_MS = 50;
/** The exporter enforces the timeout itself; this backstop only catches a request that ignores it. */
const TIMEOUT_GRACE_MS = 100;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Waits for `promise` at most `ms`; on timeout calls `onTimeout` (which may throw) or just returns. */
async function raceTimeout<T>(promise: Promise<T>, ms: number, onTimeout?: () => T): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), Math.max(0, ms));
  });
  try {
    const winner = await Promise.race([promise, timeout]);
    if (winner === "timeout") return onTimeout?.();
    return winner as T;
  } finally {
    clearTimeout(timer);
  }
}

function safeWarn(warn: (line: string) => void, line: string): void {
  try {
    warn(line);
  } catch {
    // A broken stderr must not break the run.
  }
}
