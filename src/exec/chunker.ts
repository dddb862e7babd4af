import { Buffer, isUtf8 } from "node:buffer";
import { optimizeHotLoop } from "./jit-hints.ts";

/**
 * Cuts one output stream into `exec:chunk`-sized pieces (SPEC §14.4): at most 8 192 bytes, never inside a UTF-8
 * sequence. A sequence left incomplete at the end of a read waits for the next read of the same stream; a piece that
 * is not valid UTF-8 (or a sequence still incomplete at end of stream) travels base64.
 */

export type OutputStream = "stdout" | "stderr";

/**
 * One piece of output. Its text (`data`) and that text escaped for JSON (`json`) are made on first use: the logs and
 * the JSONL printer take the escaped bytes, so bulk output through `exec --jsonl` never becomes a JS string (each
 * 8 KiB chunk used to be decoded, escaped and concatenated into six strings, the bulk of the heap's growth on 50 MB).
 */
export class OutputChunk {
  /** Raw byte length of the chunk. */
  readonly bytes: number;
  /** Set when the bytes are not valid UTF-8: `data` is then their base64. */
  readonly encoding: "base64" | undefined;
  #data: string | undefined;
  #json: Uint8Array | undefined;

  constructor(
    readonly stream: OutputStream,
    /** The bytes themselves (for the on-disk log and raw terminal output): the consumer's own copy, free to keep. */
    readonly raw: Uint8Array,
  ) {
    this.bytes = raw.byteLength;
    this.encoding = isUtf8(raw) ? undefined : "base64";
  }

  /** The text, or base64 of the bytes when `encoding` is set. */
  get data(): string {
    this.#data ??=
      this.encoding === undefined ? decoder.decode(this.raw) : Buffer.from(this.raw.buffer, this.raw.byteOffset, this.raw.byteLength).toString("base64");
    return this.#data;
  }

  /** `data` as the inside of a JSON string literal, UTF-8 encoded: exactly what `JSON.stringify(data)` puts between its quotes. */
  get json(): Uint8Array {
    this.#json ??= this.encoding === undefined ? escapeJsonBytes(this.raw) : Buffer.from(this.data, "latin1");
    return this.#json;
  }
}

export const MAX_CHUNK_BYTES = 8192;

/** Only ever decodes bytes `isUtf8` accepted; a BOM is kept as text. */
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const HEX = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102];
/** Calls after which the byte loop below is worth its compilation (bulk output: 16 chunks = 128 KiB), and between hints. */
const HOT_AFTER_CALLS = 16;
let escapeCalls = 0;
/** Worst case: every byte a control character, `\u00XX` (6 bytes). */
let escapeScratch = new Uint8Array(6 * 8192);

/**
 * Valid UTF-8 escaped for the inside of a JSON string, as `JSON.stringify` escapes the decoded text: `"` and `\\`,
 * `\b \f \n \r \t`, other control characters as `\u00xx`; everything else (DEL, multi-byte sequences) as is. The
 * input itself when nothing needs escaping.
 */
export function escapeJsonBytes(src: Uint8Array): Uint8Array {
  // Repeated a few times: under the raised thresholds one hint only takes it to the baseline JIT. Still pays (issue 16,
  // 5 interleaved runs of 50 MB through `exec --jsonl`, builds with and without the hint): peak RSS median 63.3 MiB
  // with it, 67.1 MiB without; user CPU 0.37 s vs 0.41 s.
  if (++escapeCalls % HOT_AFTER_CALLS === 0 && escapeCalls <= HOT_AFTER_CALLS * 8) optimizeHotLoop(escapeJsonBytes);
  const n = src.byteLength;
  let i = 0;
  while (i < n) {
    const b = src[i] as number;
    if (b < 0x20 || b === 0x22 || b === 0x5c) break;
    i++;
  }
  if (i === n) return src;
  if (escapeScratch.byteLength < n * 6) escapeScratch = new Uint8Array(n * 6);
  const out = escapeScratch;
  out.set(src.subarray(0, i), 0);
  let o = i;
  for (; i < n; i++) {
    const b = src[i] as number;
    if (b >= 0x20 && b !== 0x22 && b !== 0x5c) {
      out[o++] = b;
      continue;
    }
    out[o++] = 0x5c;
    if (b === 0x22 || b === 0x5c) out[o++] = b;
    else if (b === 0x0a) out[o++] = 0x6e;
    else if (b === 0x0d) out[o++] = 0x72;
    else if (b === 0x09) out[o++] = 0x74;
    else if (b === 0x08) out[o++] = 0x62;
    else if (b === 0x0c) out[o++] = 0x66;
    else {
      out[o++] = 0x75;
      out[o++] = 0x30;
      out[o++] = 0x30;
      out[o++] = HEX[b >> 4] as number;
      out[o++] = HEX[b & 15] as number;
    }
  }
  return out.slice(0, o);
}

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
  return new OutputChunk(stream, raw);
}

/**
 * A copy of `buf[start, end)` in a buffer of its own. Not `buf.slice()`: on a Node `Buffer` (what Bun's PTY callback
 * hands out) `slice` is a view, and the read buffer is released right after chunking (issue 22.3: every PTY chunk was
 * lost that way).
 */
function copyOf(buf: Uint8Array, start: number, end: number): Uint8Array {
  const copy = new Uint8Array(end - start);
  copy.set(buf.subarray(start, end));
  return copy;
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
      this.pending = copyOf(buf, end, buf.byteLength);
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
      chunks.push(makeChunk(this.stream, copyOf(buf, start, cut)));
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
