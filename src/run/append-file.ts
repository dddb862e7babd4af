import { Buffer } from "node:buffer";
import { writeSync } from "node:fs";
import { type FileHandle, mkdir, open, truncate } from "node:fs/promises";
import { dirname } from "node:path";

/** Largest size of each of the two buffers of a file. */
const BUFFER_BYTES = 256 * 1024;
/**
 * First size of a buffer. Most logs get a few hundred bytes per stage: allocating 2 × 256 KiB per file up front cost
 * more than the stage itself (allocation and the garbage collections it provokes: about 3 ms per stage, profiled).
 * A buffer that fills up is replaced by one twice its size, up to BUFFER_BYTES, so bulk output still gets big batches.
 */
const INITIAL_BUFFER_BYTES = 8 * 1024;
/** Longest time a line waits in memory before it is written, so that readers of the log see it promptly. */
const FLUSH_DELAY_MS = 20;

const encoder = new TextEncoder();

/** Called once, when a write fails (after the file was cut back to its last complete line). */
export type AppendFailureListener = (error: unknown, file: AppendFile) => void;

/**
 * An append-only file written through one handle and two buffers: lines are encoded straight into the active
 * buffer while the other one is being written, so bulk output costs no allocation per line and one async `write`
 * per batch (never a syscall per line). Buffers start small and double when they fill (up to 256 KiB). When both
 * buffers are busy, a line waits in a small queue and `write` returns a promise, which the producer awaits: memory
 * stays bounded (about 512 KiB per file). The file and its parents are created on the first write.
 *
 * The file only ever holds whole lines (issue 10, B2): every batch is made of whole lines, and `partial` counts the
 * bytes of the batch in progress that reached the file (no extra syscall on the way). When a write fails (ENOSPC,
 * EIO…), those bytes are truncated away (one fstat + ftruncate, only then), the error is remembered, the listener is
 * told, later lines are dropped, and `flush()` / `close()` reject with it.
 */
export class AppendFile {
  /** Buffers (not plain Uint8Arrays): `Buffer#write` encodes a string at an offset without a view per call. */
  private active: Buffer | null = null;
  private spare: Buffer | null = null;
  private used = 0;
  /** Encoded copies of lines waiting for room in a buffer. */
  private readonly queue: Uint8Array[] = [];
  private handle: FileHandle | null = null;
  private draining: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private failure: unknown = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  /** Bytes of the batch being written that already reached the file (see the class comment). */
  private partial = 0;
  /** Set by `stop()`: later lines are dropped, without an error. */
  private stopped = false;

  constructor(
    readonly path: string,
    private readonly onFailure: AppendFailureListener | null = null,
  ) {}

  /** The error of the write that failed, if one did. */
  get error(): unknown {
    return this.failure;
  }

  /** Buffers `line`; returns a promise (never rejecting) when the producer should wait for the disk. */
  write(line: string): Promise<void> | undefined {
    return this.writeParts([line]);
  }

  /**
   * Buffers a line already encoded as UTF-8 (so one line going to two files is encoded once). `bytes` is copied
   * before this returns: the caller may reuse its buffer at once. Same contract as `write`.
   */
  writeBytes(bytes: Uint8Array): Promise<void> | undefined {
    return this.writeParts([bytes]);
  }

  /**
   * Buffers one line given in parts (strings are encoded as UTF-8, byte arrays copied), so a line whose bulk is
   * already-encoded bytes needs no concatenated copy. The parts stay together: a batch never ends inside the line.
   * Same contract as `write`.
   */
  writeParts(parts: readonly (string | Uint8Array)[]): Promise<void> | undefined {
    if (this.closed) throw new Error(`Log ${this.path} is closed`);
    if (this.failure !== null || this.stopped) return undefined;
    if (this.queue.length === 0) {
      this.active ??= Buffer.alloc(INITIAL_BUFFER_BYTES);
      const active = this.active;
      let used = this.used;
      let fits = true;
      for (const part of parts) {
        if (typeof part === "string" && part.length * 3 <= active.byteLength - used) {
          used += active.write(part, used);
        } else if (typeof part === "string") {
          const { read, written } = encoder.encodeInto(part, active.subarray(used));
          used += written;
          if (read !== part.length) {
            fits = false;
            break;
          }
        } else {
          if (used + part.byteLength > active.byteLength) {
            fits = false;
            break;
          }
          active.set(part, used);
          used += part.byteLength;
        }
      }
      // A line that did not fit leaves bytes past `used`, which are simply overwritten later.
      if (fits) {
        this.used = used;
        this.buffered();
        return undefined;
      }
    }
    this.queue.push(Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part, "utf8") : part))));
    return this.startDrain();
  }

  /** After bytes went into the active buffer: half full starts a write at once, else a short timer does. */
  private buffered(): void {
    if (this.used >= (this.active as Uint8Array).byteLength / 2) void this.startDrain();
    else if (this.timer === null && this.draining === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.startDrain();
      }, FLUSH_DELAY_MS);
    }
  }

  /** Resolves when everything written so far has been handed to the OS. */
  async flush(): Promise<void> {
    await this.startDrain();
    if (this.failure !== null) throw this.failure;
  }

  /**
   * Flushes and closes the file. Further writes throw. No fsync: logs are appended, not replaced, so a crash can
   * only lose their tail, and syncing 100 MB of output would cost more than the whole run. Calling it again returns
   * the same promise (so a close started in the background still reports its error to a later caller).
   */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    await this.startDrain();
    this.closed = true;
    const handle = this.handle;
    this.handle = null;
    this.active = this.spare = null;
    if (handle !== null) {
      try {
        await handle.close();
      } catch (error) {
        this.failure ??= error;
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
    try {
      while ((this.used > 0 || this.queue.length > 0) && this.failure === null && !this.stopped) {
        const handle = this.handle ?? (await this.openHandle());
        const full = this.active as Buffer;
        const batch = full.subarray(0, this.used);
        // Swap: the producer fills the other buffer while this one is written. Output that filled this buffer (or
        // left lines queued) gets a next buffer twice as big, up to BUFFER_BYTES.
        const wanted = this.used >= full.byteLength / 2 || this.queue.length > 0 ? Math.min(BUFFER_BYTES, full.byteLength * 2) : full.byteLength;
        this.active = this.spare !== null && this.spare.byteLength >= wanted ? this.spare : Buffer.alloc(wanted);
        this.spare = full;
        this.used = 0;
        if (batch.byteLength > 0) await this.writeAll(handle, batch);
        await this.refill(handle);
      }
    } catch (error) {
      this.failure = error;
      this.queue.length = 0;
      this.used = 0;
      // A short write before the error left part of a line: cut it off. On a full disk this also gives the space back.
      await this.dropPartialBatch().catch(() => {});
      this.onFailure?.(error, this);
    }
    if (this.stopped) {
      this.queue.length = 0;
      this.used = 0;
    }
  }

  /** Moves queued lines into the active buffer; a line larger than a whole buffer is written on its own. */
  private async refill(handle: FileHandle): Promise<void> {
    while (this.queue.length > 0) {
      const item = this.queue[0] as Uint8Array;
      const active = this.active as Buffer;
      if (this.used + item.byteLength <= active.byteLength) {
        active.set(item, this.used);
        this.used += item.byteLength;
        this.queue.shift();
      } else if (this.used === 0) {
        this.queue.shift();
        await this.writeAll(handle, item);
      } else {
        return;
      }
    }
  }

  private async openHandle(): Promise<FileHandle> {
    await mkdir(dirname(this.path), { recursive: true });
    this.handle = await open(this.path, "a", 0o644);
    return this.handle;
  }

  /**
   * Writes every byte of a batch of whole lines (a short write resumes where it stopped; `partial` counts them).
   * Synchronously: appending to a file only copies into the page cache, and an asynchronous write is a round trip
   * through the runtime's thread pool and a promise per batch, which was most of the log's cost on bulk output
   * (issue 21). The producer still waits for a full buffer (`write` returns the drain's promise).
   */
  private async writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
    this.partial = 0;
    while (this.partial < bytes.byteLength) {
      this.partial += writeSync(handle.fd, bytes, this.partial, bytes.byteLength - this.partial);
    }
    this.partial = 0;
  }

  /** After a failed write: removes the part of the batch that reached the file (the file ends with a whole line). */
  private async dropPartialBatch(): Promise<void> {
    const handle = this.handle;
    if (handle === null || this.partial === 0) return;
    const size = (await handle.stat()).size;
    await handle.truncate(Math.max(0, size - this.partial));
    this.partial = 0;
  }

  /** Drops every later line (buffered ones included) without an error: the run's logs stop together. */
  stop(): void {
    this.stopped = true;
    if (this.draining === null) {
      this.queue.length = 0;
      this.used = 0;
    }
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /**
   * Frees disk space: stops the file (see `stop`), waits for a write in progress, and truncates the file back to the
   * end of a complete line at least `minBytes` before its end (to empty if there is none). Returns the sizes before
   * and after, or null when nothing was cut (no file, or empty).
   */
  async cutBack(minBytes: number): Promise<{ from: number; to: number } | null> {
    this.stop();
    if (this.draining !== null) await this.draining;
    let reader: FileHandle;
    try {
      reader = await open(this.path, "r");
    } catch {
      return null;
    }
    try {
      const from = (await reader.stat()).size;
      if (from === 0) return null;
      const to = await lineEndBefore(reader, from - minBytes);
      await truncate(this.path, to);
      return { from, to };
    } finally {
      await reader.close().catch(() => {});
    }
  }
}

/** The largest offset ≤ `limit` that starts a line (0, or just after a `\n`), reading backwards in 64 KiB windows. */
async function lineEndBefore(reader: FileHandle, limit: number): Promise<number> {
  const window = new Uint8Array(64 * 1024);
  let end = limit;
  while (end > 0) {
    const start = Math.max(0, end - window.byteLength);
    const { bytesRead } = await reader.read(window, 0, end - start, start);
    const at = window.subarray(0, bytesRead).lastIndexOf(10);
    if (at !== -1) return start + at + 1;
    end = start;
  }
  return 0;
}
