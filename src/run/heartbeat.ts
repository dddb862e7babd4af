import { errorMessage } from "../core/errors.ts";
import { type ManifestStore, writeFileAtomicSync } from "./manifest-store.ts";

export type HeartbeatOptions = {
  /** Tick period; 5 s by default (SPEC §11.1). */
  intervalMs?: number;
  /** A tick saves the manifest only when this long has passed since the last tick-triggered save (30 s). */
  saveEveryMs?: number;
  now?: () => Date;
  /** Receives `Heartbeat update failed for run <id>: <message>` (without the CLI prefix). */
  warn: (message: string) => void;
};

/**
 * The heartbeat of a run. Ticks, forced beats and the final beat go through one serial queue, so `.heartbeat` writes
 * never overtake each other. A tick never fails the run: errors become a warning. The timer is unref'd so it never
 * keeps the process alive on its own.
 */
export class Heartbeat {
  private readonly intervalMs: number;
  private readonly saveEveryMs: number;
  private readonly now: () => Date;
  private timer: ReturnType<typeof setInterval> | null = null;
  private queue: Promise<void> = Promise.resolve();
  private tickQueued = false;
  private lastTickSave: number;

  constructor(
    private readonly store: ManifestStore,
    private readonly options: HeartbeatOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 5_000;
    this.saveEveryMs = options.saveEveryMs ?? 30_000;
    this.now = options.now ?? (() => new Date());
    this.lastTickSave = this.now().getTime();
  }

  /** Starts ticking. The run's own save at start counts as the last save for the 30 s throttle. */
  start(): void {
    if (this.timer !== null) return;
    this.lastTickSave = this.now().getTime();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Stops ticking and waits for a tick in progress. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.queue;
  }

  /**
   * Sets `heartbeat_at = now`, saves the manifest and rewrites `.heartbeat`, so both hold the same instant. Used at
   * executor start, after resume's reset and at the end of a run (there with `syncAfter`: the final status is fsync'd
   * in the background, see `ManifestStore.save`). Rejects if the save fails.
   */
  force(options: { syncAfter?: boolean } = {}): Promise<void> {
    return this.enqueue(async () => {
      const iso = this.now().toISOString();
      this.store.manifest.heartbeat_at = iso;
      await this.store.save(options);
      writeHeartbeatFile(this.store, iso);
    });
  }

  /**
   * The first beat of a run whose manifest was written just now and not changed since (a new exec run): `.heartbeat`
   * gets the manifest's own `heartbeat_at`, so both hold the same instant without rewriting the manifest.
   */
  announce(): Promise<void> {
    const iso = this.store.manifest.heartbeat_at;
    if (iso === null) return this.force();
    return this.enqueue(async () => {
      writeHeartbeatFile(this.store, iso);
    });
  }

  /** One tick (normally called by the timer). */
  tick(): Promise<void> {
    // A tick still waiting in the queue will record the newest time anyway.
    if (this.tickQueued) return this.queue;
    this.tickQueued = true;
    const run = this.enqueue(async () => {
      this.tickQueued = false;
      const now = this.now();
      const iso = now.toISOString();
      const manifest = this.store.manifest;
      manifest.heartbeat_at = iso;
      // Clears `resuming` (and any detail) once the run is really going again (SPEC §8.3).
      if (manifest.status === "in_progress") manifest.status_detail = null;
      writeHeartbeatFile(this.store, iso);
      if (now.getTime() - this.lastTickSave >= this.saveEveryMs) {
        this.lastTickSave = now.getTime();
        await this.store.save();
      }
    });
    return run.catch((error) => {
      this.options.warn(`Heartbeat update failed for run ${this.store.manifest.run_id}: ${errorMessage(error)}`);
    });
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => {});
    return run;
  }
}

/**
 * `.heartbeat` (atomic, not fsync'd): a liveness hint rewritten every 5 s. After a power loss the process is gone and
 * the run is stale whatever the file says, so syncing it would buy nothing.
 */
function writeHeartbeatFile(store: ManifestStore, iso: string): void {
  writeFileAtomicSync(store.files.heartbeat, `${iso}\n`, { durable: false });
}
