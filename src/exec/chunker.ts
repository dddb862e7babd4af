/**
 * Cuts one output stream into `exec:chunk`-sized pieces (SPEC §14.4): at most 8 192 bytes, never inside a UTF-8
 * sequence. A sequence left incomplete at the end of a read waits for the next read of the same stream; a piece that
 * is not valid UTF-8 (or a sequence still incomplete at end of stream) travels base64.
 */

export type OutputStream = "stdout" | "stderr";

export type OutputChunk = {
  stream: OutputStream;
  /** Raw byte length of the chunk. */
  bytes: number;
  /** The text, or base64 of the bytes when `encoding` is set. */
  data: string;
  encoding?: "base64";
  /** The bytes themselves (for the on-disk log and raw terminal output): the consumer's own copy, free to keep. */
  raw: Uint8Array;
};

export const MAX_CHUNK_BYTES = 8192;

const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Length of the sequence a lead byte announces, or 0 when the byte cannot start a sequence. */
function sequenceLength(byte: number): number {
  if (byte < 0x80) return 1;
  if (byte >= 0xc2 && byte <= 0xdf) return 2;
  if (byte >= 0xe0 && byte <= 0xef) return 3;
  if (byte >= 0xf0 && byte <= 0xf4) return 4;
  return 0;
}

const isContinuation = (byte: number): boolean => (byte & 0xc0) === 0x80;

/**
 * Where a sequence that is cut by `end` starts, or `end` when nothing valid is cut there. Only a well-formed lead byte
 * within the last 3 bytes counts: invalid bytes are never held back (they go base64 where they are).
 */
export function incompleteTail(buf: Uint8Array, start: number, end: number): number {
  for (let i = end - 1; i >= start && i >= end - 3; i--) {
    const byte = buf[i] as number;
    if (isContinuation(byte)) continue;
    const need = sequenceLength(byte);
    return need > end - i ? i : end;
  }
  return end;
}

/** Encodes a byte range as a chunk: text when valid UTF-8, else base64. */
export function makeChunk(stream: OutputStream, raw: Uint8Array): OutputChunk {
  try {
    return { stream, bytes: raw.byteLength, data: strictDecoder.decode(raw), raw };
  } catch {
    return { stream, bytes: raw.byteLength, data: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("base64"), encoding: "base64", raw };
  }
}

export class Utf8Chunker {
  /** An incomplete trailing sequence (≤ 3 bytes) carried to the next read. */
  private pending: Uint8Array | null = null;

  constructor(
    private readonly stream: OutputStream,
    private readonly maxBytes: number = MAX_CHUNK_BYTES,
  ) {}

  /** Chunks for one read of the stream; the bytes of an unfinished character are kept for the next call. */
  push(bytes: Uint8Array): OutputChunk[] {
    let buf = bytes;
    if (this.pending !== null) {
      buf = new Uint8Array(this.pending.byteLength + bytes.byteLength);
      buf.set(this.pending, 0);
      buf.set(bytes, this.pending.byteLength);
      this.pending = null;
    }
    const end = incompleteTail(buf, 0, buf.byteLength);
    if (end < buf.byteLength) {
      // Copy: the carried bytes must not alias a buffer the reader may reuse.
      this.pending = buf.slice(end);
    }
    const chunks: OutputChunk[] = [];
    let start = 0;
    while (start < end) {
      let cut = Math.min(start + this.maxBytes, end);
      if (cut < end) {
        const back = incompleteTail(buf, start, cut);
        // Never back off to an empty chunk (only possible with maxBytes < 4).
        if (back > start) cut = back;
      }
      // A copy, not a view: the read buffer is released right after chunking (see OutputSink.write).
      chunks.push(makeChunk(this.stream, buf.slice(start, cut)));
      start = cut;
    }
    return chunks;
  }

  /** End of stream: a sequence still incomplete goes out as one base64 chunk. */
  end(): OutputChunk[] {
    const rest = this.pending;
    this.pending = null;
    return rest === null ? [] : [makeChunk(this.stream, rest)];
  }
}
