import { Buffer, isUtf8 } from "node:buffer";
import { escapeGeneration, escapeJsonBytes } from "./json-escape.ts";
import { TAIL_BYTES, TailBuffer } from "./tail-buffer.ts";

/**
 * Cuts one output stream into `exec:chunk`-sized pieces (SPEC §14.4): at most 8 192 bytes, never inside a UTF-8
 * sequence. A sequence left incomplete at the end of a read waits for the next read of the same stream; a piece that
 * is not valid UTF-8 (or a sequence still incomplete at end of stream) travels base64.
 */

export type OutputStream = "stdout" | "stderr";

/**
 * One piece of output. Its bytes are a view of the stream's ring (`TailBuffer`), not a copy: bulk output allocates
 * nothing per chunk. Its text (`data`), its own copy (`raw`) and its escaped JSON (`json`) are made on first use: the
 * logs and the JSONL printer take `json` at once, so bulk output through `exec --jsonl` never becomes a JS string.
 */
export class OutputChunk {
  /** Raw byte length of the chunk. */
  readonly bytes: number;
  /** Set when the bytes are not valid UTF-8: `data` is then their base64. */
  readonly encoding: "base64" | undefined;
  #bytes: Uint8Array;
  /** The ring the bytes are a view of (null: the chunk owns them), and their stream offset in it. */
  #ring: TailBuffer | null;
  readonly #at: number;
  #data: string | undefined;
  /** Set when the bytes need no escaping: `json` is `view`. */
  #plain = false;
  #json: Uint8Array | undefined;
  /** Which escape result `#json` is (escaped bytes live in a scratch buffer until the next escape). */
  #jsonStamp = -1;

  /** `bytes` become the chunk's own (they must not change), unless `ring` says they are a view of it at `at`. */
  constructor(
    readonly stream: OutputStream,
    bytes: Uint8Array,
    ring: TailBuffer | null = null,
    at = 0,
  ) {
    this.#bytes = bytes;
    this.#ring = ring;
    this.#at = at;
    this.bytes = bytes.byteLength;
    this.encoding = isUtf8(bytes) ? undefined : "base64";
  }

  /**
   * The bytes, without a copy: to be used at once (written, copied) by a subscriber, not kept — the ring reuses them
   * after 128 KiB more output. Reading them after that throws rather than returning other output.
   */
  get view(): Uint8Array {
    if (this.#ring !== null && !this.#ring.holds(this.#at)) throw new Error(`Output chunk of ${this.stream} read after its bytes were reused`);
    return this.#bytes;
  }

  /** The chunk's own copy of its bytes, free to keep (made on first use). */
  get raw(): Uint8Array {
    if (this.#ring !== null) {
      this.#bytes = this.view.slice();
      this.#ring = null;
    }
    return this.#bytes;
  }

  /** The text, or base64 of the bytes when `encoding` is set. */
  get data(): string {
    if (this.#data === undefined) {
      const bytes = this.view;
      this.#data = this.encoding === undefined ? decoder.decode(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
    }
    return this.#data;
  }

  /**
   * `data` as the inside of a JSON string literal, UTF-8 encoded: exactly what `JSON.stringify(data)` puts between its
   * quotes. To be copied at once: it is `view` when nothing needs escaping, else valid until the next chunk's `json`.
   */
  get json(): Uint8Array {
    const view = this.view;
    if (this.#plain) return view;
    if (this.#json === undefined || (this.#jsonStamp !== -1 && this.#jsonStamp !== escapeGeneration())) {
      if (this.encoding === "base64") {
        // Base64 needs no escaping: its own bytes, kept.
        this.#json = Buffer.from(this.data, "latin1");
        this.#jsonStamp = -1;
        return this.#json;
      }
      const json = escapeJsonBytes(view);
      if (json === view) {
        this.#plain = true;
        return view;
      }
      this.#json = json;
      this.#jsonStamp = escapeGeneration();
    }
    return this.#json;
  }
}

export const MAX_CHUNK_BYTES = 8192;

/** Only ever decodes bytes `isUtf8` accepted; a BOM is kept as text. */
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

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

/** Encodes bytes of its own as a chunk: text when valid UTF-8, else base64. */
export function makeChunk(stream: OutputStream, raw: Uint8Array): OutputChunk {
  return new OutputChunk(stream, raw);
}

/**
 * The chunker of one stream. Each read is copied into the stream's ring piece by piece as its chunks are taken
 * (`feed`, then `next` until null), so a chunk is a view that stays valid while it is handed on, however large the
 * read; the ring is also the stream's retained tail (`tail`).
 */
export class Utf8Chunker {
  /** Allocated with the first byte: most streams print nothing. */
  private ring: TailBuffer | null = null;
  /** Stream offset up to which the ring's bytes were cut into chunks (the rest, ≤ 3 bytes between reads, waits). */
  private cut = 0;
  private input: Uint8Array | null = null;
  private read = 0;

  constructor(
    private readonly stream: OutputStream,
    private readonly maxBytes: number = MAX_CHUNK_BYTES,
  ) {}

  /** The retained tail of the stream (SPEC §14.4), null before its first byte. */
  get tail(): TailBuffer | null {
    return this.ring;
  }

  /** Starts on one read of the stream; its chunks are taken with `next`. The bytes must not change until then. */
  feed(bytes: Uint8Array): void {
    this.input = bytes;
    this.read = 0;
  }

  /** The next chunk of the read being fed, or null when the rest of it (an unfinished character) waits for the next. */
  next(): OutputChunk | null {
    const input = this.input;
    if (input === null) return null;
    this.ring ??= new TailBuffer(TAIL_BYTES, { mirror: Math.max(4, this.maxBytes) });
    const ring = this.ring;
    // Copy what the next chunk can take (≤ maxBytes with the bytes still waiting), then cut it.
    const n = Math.min(this.maxBytes - (ring.totalBytes - this.cut), input.byteLength - this.read);
    if (n > 0) ring.write(input, this.read, this.read + n);
    this.read += n;
    const last = this.read === input.byteLength;
    if (last) this.input = null;
    const length = ring.totalBytes - this.cut;
    if (length === 0) return null;
    const view = ring.view(this.cut, ring.totalBytes);
    let end = incompleteTail(view, 0, length);
    if (end === 0) {
      // Only an unfinished character: it waits for the next read; mid-read (maxBytes < 4) it goes as it is.
      if (last) return null;
      end = length;
    }
    const chunk = new OutputChunk(this.stream, end === length ? view : view.subarray(0, end), ring, this.cut);
    this.cut += end;
    return chunk;
  }

  /** Chunks for one read, each with its own copy of its bytes (the hot path takes views: `feed` and `next`). */
  push(bytes: Uint8Array): OutputChunk[] {
    const chunks: OutputChunk[] = [];
    this.feed(bytes);
    for (let chunk = this.next(); chunk !== null; chunk = this.next()) {
      void chunk.raw;
      chunks.push(chunk);
    }
    return chunks;
  }

  /** End of stream: a sequence still incomplete goes out as one base64 chunk. */
  end(): OutputChunk | null {
    this.input = null;
    const ring = this.ring;
    if (ring === null || ring.totalBytes === this.cut) return null;
    const chunk = new OutputChunk(this.stream, ring.view(this.cut, ring.totalBytes), ring, this.cut);
    this.cut = ring.totalBytes;
    return chunk;
  }
}
