import { secretRedactor } from "../core/redact.ts";
import type { ChunkHandler } from "./attempt.ts";
import { ByteRedactor } from "./byte-redactor.ts";
import { type OutputChunk, type OutputStream, Utf8Chunker } from "./chunker.ts";
import { TailBuffer } from "./tail-buffer.ts";

/**
 * Everything one output stream feeds: the chunker (events), the bounded tail (retained text) and the byte count.
 * `write` resolves only when the handler has taken every chunk of the bytes, so a reader that awaits it reads no
 * more than the consumer can take (back-pressure, SPEC §14.4).
 */
/** The retained text of a stream that printed nothing. */
const EMPTY_TAIL: TailView = { text: () => "", totalBytes: 0 };

export type TailView = Pick<TailBuffer, "text" | "totalBytes">;

export class OutputSink {
  /**
   * The 64 KiB ring of the retained tail, allocated with the first output byte: most stages print little or nothing,
   * and two rings allocated up front per attempt cost about 1 ms per stage in allocation and collections (profiled).
   */
  private ring: TailBuffer | null = null;
  private readonly chunker: Utf8Chunker;
  /** Secrets are cut out of the byte stream before anything sees it (issue 10); null when there are none. */
  private readonly redactor: ByteRedactor | null;

  constructor(
    stream: OutputStream,
    private readonly onChunk: ChunkHandler,
  ) {
    this.chunker = new Utf8Chunker(stream);
    const secrets = secretRedactor().secrets;
    this.redactor = secrets.length === 0 ? null : new ByteRedactor(secrets);
  }

  /** The retained tail (SPEC §14.4): its text and the byte count of the whole stream. */
  get tail(): TailView {
    return this.ring ?? EMPTY_TAIL;
  }

  /** Takes ownership of `raw`: once copied into chunks and the tail, its buffer is released. */
  async write(raw: Uint8Array): Promise<void> {
    const chunks = this.take(this.redactor === null ? raw : this.redactor.push(raw));
    release(raw);
    await this.deliverAll(chunks);
  }

  private async deliverAll(chunks: readonly OutputChunk[]): Promise<void> {
    for (const chunk of chunks) {
      const pending = this.deliver(chunk);
      if (pending !== undefined) await pending;
    }
  }

  /** End of stream: bytes held back by the redactor, then an incomplete trailing sequence (as base64). */
  async end(): Promise<void> {
    const chunks = this.redactor === null ? [] : this.take(this.redactor.end());
    await this.deliverAll([...chunks, ...this.chunker.end()]);
  }

  /** Feeds the tail and the chunker (both copy the bytes). */
  private take(bytes: Uint8Array): ReturnType<Utf8Chunker["push"]> {
    if (bytes.byteLength > 0) {
      this.ring ??= new TailBuffer();
      this.ring.push(bytes);
    }
    return this.chunker.push(bytes);
  }

  /** Hands one chunk on; a promise only when the consumer asks to be waited for. */
  private deliver(chunk: Parameters<ChunkHandler>[0]): Promise<void> | undefined {
    try {
      const pending = this.onChunk(chunk);
      // A failing consumer (e.g. a closed stdout) must not stop the drain: the child would block on a full pipe.
      return pending === undefined ? undefined : pending.catch(() => {});
    } catch {
      return undefined;
    }
  }
}

/**
 * Frees a read buffer at once instead of at the next garbage collection. Reads come in buffers of up to 512 KiB;
 * left to the collector they add some 10 MiB to peak memory when output streams fast (measured on 50 MB).
 */
function release(bytes: Uint8Array): void {
  const buffer = bytes.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };
  // Only a buffer the view covers entirely is certainly not shared with anything else.
  if (bytes.byteOffset === 0 && buffer.byteLength === bytes.byteLength && typeof buffer.transfer === "function") {
    buffer.transfer(0);
  }
}
