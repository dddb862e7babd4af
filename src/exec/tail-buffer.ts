/**
 * The bounded in-memory tail of one output stream (SPEC §14.4): only the last 65 536 bytes are kept, whatever the
 * command prints; the full output lives only in the on-disk logs.
 *
 * It is also where a stream's output chunks live (issue 21): the chunker copies each piece of a read into this ring
 * and the chunk is a view of it, so bulk output allocates nothing per chunk (a fresh 8 KiB buffer per chunk was the
 * largest cost of 50 MB through `exec --jsonl`: allocation, first-touch page faults, collections). The ring keeps
 * twice the tail (`span`), so a chunk stays readable until 128 KiB more output came — longer than anything holds a
 * chunk's bytes without copying them (`ToolRunEvents` keeps the last 64 KiB of chunks). Its first `mirror` bytes are
 * repeated past its end, so that any span of up to `mirror` bytes is one contiguous view, wherever the ring wraps.
 */

export const TAIL_BYTES = 65536;

/** First size of the ring: most streams print little; it doubles as output comes, up to `span`. */
const INITIAL_BYTES = 16 * 1024;

const lenientDecoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

export class TailBuffer {
  /** `size` bytes of ring, then (once `size === span`) `mirror` bytes repeating its start. */
  private ring: Uint8Array;
  /** Current ring size: grows by doubling, without wrapping, until it reaches `span`. */
  private size: number;
  private total = 0;
  /** How many bytes the ring holds (≥ capacity): a chunk's bytes are readable until this many more were written. */
  readonly span: number;
  /** The longest contiguous view `view` can return. */
  readonly mirror: number;

  constructor(
    private readonly capacity: number = TAIL_BYTES,
    options: { mirror?: number } = {},
  ) {
    this.mirror = Math.max(1, options.mirror ?? 8192);
    this.span = Math.max(2 * capacity, 2 * this.mirror);
    this.size = Math.min(this.span, INITIAL_BYTES);
    this.ring = new Uint8Array(this.size === this.span ? this.span + this.mirror : this.size);
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
    this.write(bytes, 0, bytes.byteLength);
  }

  /** Appends `src[start, end)` (copied). */
  write(src: Uint8Array, start: number, end: number): void {
    if (end - start > this.span) {
      this.total += end - this.span - start;
      start = end - this.span;
    }
    if (this.size < this.span && this.total + (end - start) > this.size) this.grow(this.total + (end - start));
    const size = this.size;
    const wrapping = size === this.span;
    while (start < end) {
      const at = this.total % size;
      const n = Math.min(end - start, size - at);
      const part = src.subarray(start, start + n);
      this.ring.set(part, at);
      if (wrapping && at < this.mirror) this.ring.set(n <= this.mirror - at ? part : part.subarray(0, this.mirror - at), size + at);
      start += n;
      this.total += n;
    }
  }

  /** A larger ring (no wrap has happened yet): views of the old one stay valid, nothing writes to it again. */
  private grow(needed: number): void {
    let size = this.size;
    while (size < needed && size < this.span) size *= 2;
    size = Math.min(size, this.span);
    const ring = new Uint8Array(size === this.span ? size + this.mirror : size);
    ring.set(this.ring.subarray(0, this.total), 0);
    if (size === this.span) ring.set(ring.subarray(0, Math.min(this.mirror, this.total)), size);
    this.ring = ring;
    this.size = size;
  }

  /** Whether the bytes written from stream offset `from` on are still in the ring. */
  holds(from: number): boolean {
    return this.total - from <= this.size;
  }

  /**
   * The bytes at stream offsets `[from, to)` as one view of the ring (no copy): `to − from` ≤ `mirror`, `to` ≤
   * `totalBytes`. Valid while `holds(from)`; a view taken before the ring grew stays valid for good.
   */
  view(from: number, to: number): Uint8Array {
    if (to - from > this.mirror || to > this.total || !this.holds(from)) throw new RangeError(`No view of output bytes ${from}–${to}`);
    const at = from % this.size;
    return this.ring.subarray(at, at + (to - from));
  }

  /** The retained bytes, oldest first. */
  bytes(): Uint8Array {
    const n = Math.min(this.total, this.capacity);
    const from = this.total - n;
    const at = from % this.size;
    if (at + n <= this.size) return this.ring.slice(at, at + n);
    const out = new Uint8Array(n);
    const first = this.size - at;
    out.set(this.ring.subarray(at, this.size), 0);
    out.set(this.ring.subarray(0, n - first), first);
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
