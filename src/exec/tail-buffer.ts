/**
 * The bounded in-memory tail of one output stream (SPEC §14.4): only the last 65 536 bytes are kept, whatever the
 * command prints; the full output lives only in the on-disk logs.
 */

export const TAIL_BYTES = 65536;

const lenientDecoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

export class TailBuffer {
  private readonly ring: Uint8Array;
  /** Next write position in `ring`. */
  private head = 0;
  private total = 0;

  constructor(private readonly capacity: number = TAIL_BYTES) {
    this.ring = new Uint8Array(capacity);
  }

  /** Bytes produced so far (not only the retained ones). */
  get totalBytes(): number {
    return this.total;
  }

  /** True when the stream produced more than the window holds. */
  get truncated(): boolean {
    return this.total > this.capacity;
  }

  push(bytes: Uint8Array): void {
    this.total += bytes.byteLength;
    let src = bytes;
    if (src.byteLength >= this.capacity) {
      src = src.subarray(src.byteLength - this.capacity);
      this.ring.set(src, 0);
      this.head = 0;
      return;
    }
    const first = Math.min(src.byteLength, this.capacity - this.head);
    this.ring.set(src.subarray(0, first), this.head);
    if (first < src.byteLength) this.ring.set(src.subarray(first), 0);
    this.head = (this.head + src.byteLength) % this.capacity;
  }

  /** The retained bytes, oldest first. */
  bytes(): Uint8Array {
    if (this.total < this.capacity) return this.ring.slice(0, this.total);
    const out = new Uint8Array(this.capacity);
    out.set(this.ring.subarray(this.head), 0);
    out.set(this.ring.subarray(0, this.head), this.capacity - this.head);
    return out;
  }

  /**
   * The retained text. When the window has cut a character at its start, that character's remaining continuation
   * bytes are dropped rather than shown as U+FFFD; other invalid bytes become U+FFFD.
   */
  text(): string {
    let view = this.bytes();
    if (this.truncated) {
      let skip = 0;
      while (skip < 3 && skip < view.byteLength && ((view[skip] as number) & 0xc0) === 0x80) skip++;
      view = view.subarray(skip);
    }
    return lenientDecoder.decode(view);
  }
}
