import { concatBytes } from "../core/bytes.ts";
/**
 * Output bookkeeping for PTY sessions: CRLF → LF conversion (a terminal turns every `\n` into `\r\n`) and a bounded
 * head + tail buffer, so a command that prints gigabytes keeps only its first and last bytes in memory.
 */

const CR = 0x0d;
const LF = 0x0a;

/** Converts CRLF to LF in a byte stream; a CR at the end of a chunk waits for the next chunk. Lone CRs stay. */
export class CrlfNormalizer {
  private pendingCr = false;

  push(chunk: Uint8Array): Uint8Array {
    const out = new Uint8Array(chunk.length + 1);
    let n = 0;
    let i = 0;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (chunk.length === 0) {
        this.pendingCr = true;
        return out.subarray(0, 0);
      }
      if (chunk[0] !== LF) out[n++] = CR;
    }
    for (; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (b === CR) {
        if (i + 1 === chunk.length) {
          this.pendingCr = true;
          break;
        }
        if (chunk[i + 1] === LF) continue;
      }
      out[n++] = b;
    }
    return out.subarray(0, n);
  }

  flush(): Uint8Array {
    if (!this.pendingCr) return new Uint8Array(0);
    this.pendingCr = false;
    return Uint8Array.of(CR);
  }
}

export const OUTPUT_LIMIT_BYTES = 1024 * 1024;

/** Keeps the first and last `limit / 2` bytes of a stream; `text()` marks the omitted middle. */
export class HeadTailBuffer {
  private readonly headLimit: number;
  private readonly tailLimit: number;
  private head: Uint8Array[] = [];
  private headBytes = 0;
  private tail: Uint8Array[] = [];
  private tailBytes = 0;
  private total = 0;

  /** `headLimit` 0 keeps only a tail (the "recent output" of a session). */
  constructor(limit = OUTPUT_LIMIT_BYTES, headLimit = Math.floor(limit / 2)) {
    this.headLimit = headLimit;
    this.tailLimit = limit - this.headLimit;
  }

  get totalBytes(): number {
    return this.total;
  }

  get truncated(): boolean {
    return this.total > this.headBytes + this.tailBytes;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.total += chunk.length;
    let rest = chunk;
    if (this.headBytes < this.headLimit) {
      const take = Math.min(this.headLimit - this.headBytes, rest.length);
      this.head.push(rest.slice(0, take));
      this.headBytes += take;
      rest = rest.subarray(take);
      if (rest.length === 0) return;
    }
    if (rest.length >= this.tailLimit) {
      this.tail = [rest.slice(rest.length - this.tailLimit)];
      this.tailBytes = this.tailLimit;
      return;
    }
    this.tail.push(rest.slice());
    this.tailBytes += rest.length;
    while (this.tailBytes > this.tailLimit) {
      const first = this.tail[0] as Uint8Array;
      const excess = this.tailBytes - this.tailLimit;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailBytes -= first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
      }
    }
  }

  /** The kept head and tail, without a marker (the caller decides how to show the cut between them). */
  keptParts(): { head: Uint8Array; tail: Uint8Array } {
    return { head: concatBytes(this.head), tail: concatBytes(this.tail) };
  }

  /** The kept bytes as text (invalid UTF-8 → U+FFFD), with `…[N bytes omitted]…` between head and tail. */
  text(): string {
    const decode = (parts: Uint8Array[]) => new TextDecoder().decode(concatBytes(parts));
    const omitted = this.total - this.headBytes - this.tailBytes;
    if (omitted <= 0) return decode([...this.head, ...this.tail]);
    return `${decode(this.head)}\n…[${omitted} bytes omitted]…\n${decode(this.tail)}`;
  }

  /** Only the last `maxBytes` kept bytes, as text (for "recent output"). */
  tailText(maxBytes: number): string {
    const all = concatBytes(this.tailBytes > 0 ? [...this.head, ...this.tail] : this.head);
    let bytes = all.length > maxBytes ? all.subarray(all.length - maxBytes) : all;
    // Skip UTF-8 continuation bytes cut at the window start.
    let skip = 0;
    while (skip < bytes.length && skip < 3 && ((bytes[skip] as number) & 0xc0) === 0x80) skip++;
    if (all.length > maxBytes) bytes = bytes.subarray(skip);
    return new TextDecoder().decode(bytes);
  }

  clear(): void {
    this.head = [];
    this.tail = [];
    this.headBytes = 0;
    this.tailBytes = 0;
    this.total = 0;
  }
}

