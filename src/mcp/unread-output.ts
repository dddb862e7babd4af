import { concatBytes } from "../core/bytes.ts";
/**
 * Output of a running command that no call has read yet (MCP `exec` / `write_stdin`, issue 19). Memory stays bounded
 * whatever the command prints: past `capacity` only its first and last halves are kept. A read hands back at most
 * `limit` bytes — the head and the tail, with `…[N bytes omitted]…` where the middle was cut — and starts afresh.
 */
export class UnreadOutput {
  private head: Uint8Array[] = [];
  private headBytes = 0;
  private tail: Uint8Array[] = [];
  private tailBytes = 0;
  private total = 0;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly capacity = 8 * 1024 * 1024) {}

  get bytes(): number {
    return this.total;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.total += chunk.length;
    const half = this.capacity / 2;
    let rest = chunk;
    if (this.headBytes < half) {
      const take = Math.min(half - this.headBytes, rest.length);
      this.head.push(rest.slice(0, take));
      this.headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length > 0) {
      this.tail.push(rest.slice());
      this.tailBytes += rest.length;
      while (this.tailBytes > half && this.tail.length > 1) {
        this.tailBytes -= (this.tail.shift() as Uint8Array).length;
      }
    }
    for (const wake of this.waiters) wake();
  }

  /** Resolves at the next push (or at once when `signal` is already settled by the caller's race). */
  nextPush(): { promise: Promise<void>; cancel: () => void } {
    let wake = () => {};
    const promise = new Promise<void>((resolve) => {
      wake = resolve;
    });
    this.waiters.add(wake);
    return { promise, cancel: () => this.waiters.delete(wake) };
  }

  /** The unread output as text (CRLF as LF when `crlf`), at most `limit` bytes of it; then empty again. */
  take(limit: number, crlf = false): { text: string; bytes: number; truncated: boolean } {
    const kept = concatBytes([...this.head, ...this.tail]);
    const bytes = this.total;
    this.head = [];
    this.tail = [];
    this.headBytes = 0;
    this.tailBytes = 0;
    this.total = 0;
    const lost = bytes - kept.length;
    const decode = (part: Uint8Array) => {
      const text = new TextDecoder().decode(part);
      return crlf ? text.replace(/\r\n/g, "\n") : text;
    };
    if (kept.length <= limit && lost === 0) return { text: decode(kept), bytes, truncated: false };
    const half = Math.floor(limit / 2);
    const first = kept.subarray(0, Math.min(half, kept.length));
    const last = kept.subarray(Math.max(first.length, kept.length - (limit - first.length)));
    const omitted = bytes - first.length - last.length;
    return { text: `${decode(first)}\n…[${omitted} bytes omitted]…\n${decode(last)}`, bytes, truncated: true };
  }
}

