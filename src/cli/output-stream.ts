import { Buffer } from "node:buffer";
import { fstatSync, write, writeSync } from "node:fs";
import { isTerminal } from "../platform/terminal.ts";
import { chunkEventParts } from "../core/chunk-event.ts";
import type { OrchestratorEvent } from "../core/schemas/events.ts";

/**
 * A writer over stdout/stderr that applies back-pressure (awaits `drain`) and survives a reader that went away
 * (`| head -1`): after EPIPE every write is dropped silently, and the run is still recorded.
 */
export class OutputStream {
  protected closed = false;
  private opened: NodeJS.WriteStream | null = null;

  /** `open` is called on first use: building process.stderr or process.stdout costs start-up time (a Node stream). */
  constructor(private readonly open: () => NodeJS.WriteStream) {}

  private get stream(): NodeJS.WriteStream {
    if (this.opened === null) {
      const stream = this.open();
      stream.on("error", () => {
        this.closed = true;
      });
      this.opened = stream;
    }
    return this.opened;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get isTTY(): boolean {
    return this.stream.isTTY === true;
  }

  write(data: string | Uint8Array): Promise<void> | undefined {
    if (this.closed || data.length === 0) return undefined;
    let ok: boolean;
    try {
      // A copy of bytes: a Node stream may queue them by reference, and a chunk's bytes are reused (exec/tail-buffer.ts).
      ok = this.stream.write(typeof data === "string" ? data : Buffer.from(data));
    } catch {
      this.closed = true;
      return undefined;
    }
    if (ok) return undefined;
    return new Promise((resolve) => {
      const done = () => {
        this.stream.off("drain", done);
        this.stream.off("error", done);
        this.stream.off("close", done);
        resolve();
      };
      this.stream.once("drain", done);
      this.stream.once("error", done);
      this.stream.once("close", done);
    });
  }

  /**
   * Prints one event as a JSON line. An `exec:chunk` goes out in three writes — the JSON around its data, and the
   * data as the escaped bytes the chunk carries (the same bytes its log line holds) — so bulk output is never turned
   * into JS strings. Events come redacted from the stream (`EventStream.envelope`): nothing is redacted here.
   */
  writeEvent(event: OrchestratorEvent): Promise<void> | undefined {
    const parts = chunkEventParts(event);
    if (parts === null) return this.write(`${JSON.stringify(event)}\n`);
    const a = this.write(parts[0]);
    const b = this.write(parts[1]);
    const c = this.write(parts[2]);
    return c ?? b ?? a;
  }

  /** Resolves when everything written so far has been handed to the OS. */
  flush(): Promise<void> {
    if (this.closed || this.opened === null || this.stream.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      try {
        this.stream.write("", () => resolve());
      } catch {
        resolve();
      }
    });
  }
}

/** Above this many buffered bytes a write returns a promise (a pipe), or the buffer is written at once (a file). */
const HIGH_WATER_BYTES = 64 * 1024;
const textEncoder = new TextEncoder();

/** How a descriptor is written: a terminal at once, a file or device in batches, a pipe or socket asynchronously. */
type WriteMode = "terminal" | "batch" | "async";

/**
 * The same writer straight over a file descriptor, without Node's stream machinery: building `process.stdout` costs
 * start-up time (about 10 ms of module loading), and a Node stream copies each write into its own queue, which for
 * 50 MB of JSONL was a large part of the heap's growth. A terminal is written synchronously (so a prompt or another
 * writer never overtakes what was printed before it). A regular file or a device such as /dev/null, which never
 * blocks for long, is written synchronously too, in batches of 64 KiB (or what a turn of the event loop wrote): an
 * asynchronous write is a trip through the runtime's thread pool, several per JSONL chunk when output streams fast
 * (issue 21). A pipe or socket, whose reader may stall, is written asynchronously from a buffer that is filled while
 * the previous batch is being written, one write in flight at a time. EPIPE (or any other write error) closes it:
 * later writes are dropped.
 */
export class FdOutputStream extends OutputStream {
  private buffer: Buffer | null = null;
  private spare: Buffer | null = null;
  private used = 0;
  private writing: Promise<void> | null = null;
  private tty: boolean | null = null;
  private mode: WriteMode | null = null;
  /** A batch flush is scheduled for the end of this turn of the event loop. */
  private flushSoon = false;

  constructor(private readonly fd: number) {
    super(() => {
      throw new Error("FdOutputStream has no Node stream");
    });
  }

  override get isTTY(): boolean {
    this.tty ??= isTerminal(this.fd);
    return this.tty;
  }

  private get writeMode(): WriteMode {
    if (this.mode === null) {
      if (this.isTTY) this.mode = "terminal";
      else {
        let batch = false;
        try {
          const stat = fstatSync(this.fd);
          batch = stat.isFile() || stat.isCharacterDevice();
        } catch {
          // Unknown: written asynchronously, which is right for anything.
        }
        this.mode = batch ? "batch" : "async";
      }
    }
    return this.mode;
  }

  override write(data: string | Uint8Array): Promise<void> | undefined {
    if (this.closed || data.length === 0) return undefined;
    const mode = this.writeMode;
    if (mode === "terminal" && this.writing === null) {
      this.writeNow(typeof data === "string" ? textEncoder.encode(data) : data);
      return undefined;
    }
    this.append(data);
    if (mode === "batch" && this.writing === null) {
      if (this.used >= HIGH_WATER_BYTES) this.writeBatch();
      else if (!this.flushSoon) {
        this.flushSoon = true;
        setImmediate(() => this.writeBatch());
      }
      return undefined;
    }
    this.writing ??= this.drain();
    return this.used >= HIGH_WATER_BYTES ? this.writing : undefined;
  }

  override flush(): Promise<void> {
    if (this.mode === "batch" && this.writing === null) this.writeBatch();
    return this.writing ?? Promise.resolve();
  }

  /** Writes the buffer synchronously (a file or device); a descriptor that turns out non-blocking and full goes async. */
  private writeBatch(): void {
    this.flushSoon = false;
    if (this.used === 0 || this.closed || this.writing !== null) return;
    const bytes = (this.buffer as Buffer).subarray(0, this.used);
    let offset = 0;
    try {
      while (offset < bytes.byteLength) offset += writeSync(this.fd, bytes, offset, bytes.byteLength - offset);
      this.used = 0;
    } catch (error) {
      if ((error as { code?: unknown }).code === "EAGAIN") {
        // Keep what was not written, in order, and let the asynchronous path retry it.
        bytes.copyWithin(0, offset);
        this.used -= offset;
        this.mode = "async";
        this.writing ??= this.drain();
        return;
      }
      this.closed = true;
      this.used = 0;
    }
  }

  /** Copies `data` into the buffer, growing it when it does not fit. */
  private append(data: string | Uint8Array): void {
    const need = typeof data === "string" ? data.length * 3 : data.byteLength;
    let buffer = this.buffer;
    if (buffer === null || buffer.byteLength - this.used < need) {
      const grown = Buffer.alloc(Math.max(HIGH_WATER_BYTES * 2, (this.used + need) * 2));
      if (buffer !== null) grown.set(buffer.subarray(0, this.used), 0);
      buffer = this.buffer = grown;
    }
    if (typeof data === "string") this.used += buffer.write(data, this.used);
    else {
      buffer.set(data, this.used);
      this.used += data.byteLength;
    }
  }

  /** Synchronous write of everything (a terminal); a failure closes the stream. */
  private writeNow(bytes: Uint8Array): void {
    let offset = 0;
    try {
      while (offset < bytes.byteLength) offset += writeSync(this.fd, bytes, offset, bytes.byteLength - offset);
    } catch (error) {
      if ((error as { code?: unknown }).code === "EAGAIN") {
        this.append(bytes.subarray(offset));
        this.writing ??= this.drain();
        return;
      }
      this.closed = true;
    }
  }

  /** Writes batches until the buffer is empty; the producer fills the other buffer meanwhile. */
  private async drain(): Promise<void> {
    try {
      while (this.used > 0 && !this.closed) {
        const batch = (this.buffer as Uint8Array).subarray(0, this.used);
        const next = this.spare !== null && this.spare.byteLength >= batch.byteLength ? this.spare : null;
        this.spare = this.buffer;
        this.buffer = next;
        this.used = 0;
        await writeAll(this.fd, batch);
      }
    } catch {
      this.closed = true;
      this.used = 0;
    } finally {
      this.writing = null;
    }
  }
}

/** Writes every byte of `bytes` to `fd`, asynchronously; a non-blocking descriptor that is full is retried shortly. */
async function writeAll(fd: number, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    try {
      offset += await new Promise<number>((resolve, reject) => {
        write(fd, bytes, offset, bytes.byteLength - offset, null, (error, written) => (error ? reject(error) : resolve(written)));
      });
    } catch (error) {
      if ((error as { code?: unknown }).code !== "EAGAIN") throw error;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
}

export const stdoutStream: OutputStream = new FdOutputStream(1);
export const stderrStream = new OutputStream(() => process.stderr);
