import { secretRedactor } from "../core/redact.ts";
import type { ChunkHandler } from "./attempt.ts";
import { ByteRedactor } from "./byte-redactor.ts";
import { type OutputChunk, type OutputStream, Utf8Chunker } from "./chunker.ts";
import type { TailBuffer } from "./tail-buffer.ts";

/** The retained text of a stream that printed nothing. */
const EMPTY_TAIL: TailView = { text: () => "", totalBytes: 0 };

export type TailView = Pick<TailBuffer, "text" | "totalBytes">;

/**
 * Everything one output stream feeds: the chunker (events), the bounded tail (retained text) and the byte count.
 * `write` resolves only when the handler has taken every chunk of the bytes, so a reader that awaits it reads no
 * more than the consumer can take (back-pressure, SPEC §14.4).
 */
export class OutputSink {
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

  /**
   * The retained tail (SPEC §14.4): its text and the byte count of the whole stream. It is the ring the chunks are
   * views of, allocated with the first output byte: most stages print little or nothing, and two rings allocated up
   * front per attempt cost about 1 ms per stage in allocation and collections (profiled).
   */
  get tail(): TailView {
    return this.chunker.tail ?? EMPTY_TAIL;
  }

  /** Takes ownership of `raw`: once its chunks were handed on (each copied into the ring first), it is released. */
  async write(raw: Uint8Array): Promise<void> {
    await this.deliverAll(this.redactor === null ? raw : this.redactor.push(raw));
    release(raw);
  }

  /** Hands on every chunk of `bytes`, one at a time: a chunk is a view of the ring, valid while it is handed on. */
  private async deliverAll(bytes: Uint8Array): Promise<void> {
    const chunker = this.chunker;
    chunker.feed(bytes);
    for (let chunk = chunker.next(); chunk !== null; chunk = chunker.next()) {
      const pending = this.deliver(chunk);
      if (pending !== undefined) await pending;
    }
  }

  /** End of stream: bytes held back by the redactor, then an incomplete trailing sequence (as base64). */
  async end(): Promise<void> {
    if (this.redactor !== null) await this.deliverAll(this.redactor.end());
    const last = this.chunker.end();
    if (last !== null) await this.deliver(last);
  }

  /** Hands one chunk on; a promise only when the consumer asks to be waited for. */
  private deliver(chunk: OutputChunk): Promise<void> | undefined {
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
