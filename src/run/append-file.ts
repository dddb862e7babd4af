import { type FileHandle, mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";

/** Buffered characters that trigger an immediate write (and make `write` ask the producer to wait). */
const FLUSH_AT_CHARS = 256 * 1024;
/** Longest time a line waits in memory before it is written, so that readers of the log see it promptly. */
const FLUSH_DELAY_MS = 20;

const encoder = new TextEncoder();

/**
 * An append-only file written through one buffered handle: lines accumulate in memory and go to disk in batches
 * (one async `write` per batch, never a syscall per line). Memory stays bounded because `write` returns a promise,
 * which the producer awaits, once the buffer passes 256 Ki characters. The file and its parents are created on the
 * first write. A disk error is remembered, later lines are dropped, and `flush()`/`close()` reject with it.
 */
export class AppendFile {
  private parts: string[] = [];
  private size = 0;
  private handle: FileHandle | null = null;
  private draining: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private failure: unknown = null;
  private closed = false;

  constructor(readonly path: string) {}

  /** Buffers `text`; returns a promise (never rejecting) when the producer should wait for the disk. */
  write(text: string): Promise<void> | undefined {
    if (this.closed) throw new Error(`Log ${this.path} is closed`);
    if (this.failure !== null) return undefined;
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= FLUSH_AT_CHARS) return this.startDrain();
    if (this.timer === null && this.draining === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.startDrain();
      }, FLUSH_DELAY_MS);
    }
    return undefined;
  }

  /** Resolves when everything written so far is on disk (written and fsynced is not implied: see `close`). */
  async flush(): Promise<void> {
    await this.startDrain();
    if (this.failure !== null) throw this.failure;
  }

  /** Flushes, fsyncs and closes the file. Further writes throw. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.startDrain();
    this.closed = true;
    const handle = this.handle;
    this.handle = null;
    if (handle !== null) {
      try {
        if (this.failure === null) await handle.sync();
      } catch (error) {
        this.failure = error;
      } finally {
        await handle.close().catch(() => {});
      }
    }
    if (this.failure !== null) throw this.failure;
  }

  private startDrain(): Promise<void> {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.draining === null) {
      this.draining = this.drain().finally(() => {
        this.draining = null;
      });
    }
    return this.draining;
  }

  private async drain(): Promise<void> {
    while (this.parts.length > 0 && this.failure === null) {
      const bytes = encoder.encode(this.parts.length === 1 ? (this.parts[0] as string) : this.parts.join(""));
      this.parts = [];
      this.size = 0;
      try {
        const handle = this.handle ?? (await this.openHandle());
        let offset = 0;
        while (offset < bytes.byteLength) {
          const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset);
          offset += bytesWritten;
        }
      } catch (error) {
        this.failure = error;
        this.parts = [];
        this.size = 0;
      }
    }
  }

  private async openHandle(): Promise<FileHandle> {
    await mkdir(dirname(this.path), { recursive: true });
    this.handle = await open(this.path, "a", 0o644);
    return this.handle;
  }
}
