import type { ChunkHandler } from "./attempt.ts";
import { type OutputStream, Utf8Chunker } from "./chunker.ts";
import { TailBuffer } from "./tail-buffer.ts";

/**
 * Everything one output stream feeds: the chunker (events), the bounded tail (retained text) and the byte count.
 * `write` resolves only when the handler has taken every chunk of the bytes, so a reader that awaits it reads no
 * more than the consumer can take (back-pressure, SPEC §14.4).
 */
export class OutputSink {
  readonly tail = new TailBuffer();
  private readonly chunker: Utf8Chunker;

  constructor(
    stream: OutputStream,
    private readonly onChunk: ChunkHandler,
  ) {
    this.chunker = new Utf8Chunker(stream);
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.tail.push(bytes);
    for (const chunk of this.chunker.push(bytes)) await this.deliver(chunk);
  }

  /** End of stream: flushes an incomplete trailing sequence (as base64). */
  async end(): Promise<void> {
    for (const chunk of this.chunker.end()) await this.deliver(chunk);
  }

  private async deliver(chunk: Parameters<ChunkHandler>[0]): Promise<void> {
    try {
      const pending = this.onChunk(chunk);
      if (pending !== undefined) await pending;
    } catch {
      // A failing consumer (e.g. a closed stdout) must not stop the drain: the child would block on a full pipe.
    }
  }
}
