/**
 * Redacts secret values in a command's raw output stream before it is chunked (issue 10): a secret split across two
 * reads, or inside bytes that travel base64, is still replaced. Bytes that could be the start of a secret are held
 * back until the next read shows whether they are; nothing else is delayed.
 */
export class ByteRedactor {
  private readonly needles: Buffer[];
  private readonly replacement: Buffer;
  private pending: Buffer | null = null;

  constructor(secrets: readonly string[], replacement = "***") {
    // Longest first, so a secret containing another is replaced whole.
    this.needles = secrets
      .map((s) => Buffer.from(s, "utf8"))
      .filter((b) => b.length > 0)
      .sort((a, b) => b.length - a.length);
    this.replacement = Buffer.from(replacement, "utf8");
  }

  get active(): boolean {
    return this.needles.length > 0;
  }

  /** The bytes of this read that are safe to pass on (secrets replaced); a possible secret prefix is kept. */
  push(bytes: Uint8Array): Uint8Array {
    if (this.needles.length === 0) return bytes;
    let buf: Buffer = this.pending === null ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Buffer.concat([this.pending, bytes]);
    this.pending = null;
    buf = this.replaceAll(buf);
    const hold = this.heldBack(buf);
    if (hold > 0) {
      this.pending = Buffer.from(buf.subarray(buf.length - hold));
      buf = buf.subarray(0, buf.length - hold);
    }
    return buf;
  }

  /** End of stream: what was held back (it was not a secret). */
  end(): Uint8Array {
    const rest = this.pending;
    this.pending = null;
    return rest ?? new Uint8Array(0);
  }

  private replaceAll(buf: Buffer): Buffer {
    let out = buf;
    for (const needle of this.needles) {
      let at = out.indexOf(needle);
      if (at === -1) continue;
      const parts: Buffer[] = [];
      let from = 0;
      while (at !== -1) {
        parts.push(out.subarray(from, at), this.replacement);
        from = at + needle.length;
        at = out.indexOf(needle, from);
      }
      parts.push(out.subarray(from));
      out = Buffer.concat(parts);
    }
    return out;
  }

  /** Length of the longest suffix of `buf` that is a proper prefix of some secret. */
  private heldBack(buf: Buffer): number {
    let best = 0;
    for (const needle of this.needles) {
      const max = Math.min(needle.length - 1, buf.length);
      for (let k = max; k > best; k--) {
        if (buf.compare(needle, 0, k, buf.length - k, buf.length) === 0) {
          best = k;
          break;
        }
      }
    }
    return best;
  }
}
