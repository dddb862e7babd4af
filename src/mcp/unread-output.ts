import { concatBytes } from "../core/bytes.ts";
import { HeadTailBuffer } from "../exec/session-output.ts";

/**
 * Output of a running command that no call has read yet (MCP `exec` / `write_stdin`, issue 19). Memory stays bounded
 * whatever the command prints: past `capacity` only its first and last halves are kept (the session's
 * `HeadTailBuffer`). A read hands back at most `limit` bytes — the head and the tail, with `…[N bytes omitted]…` where
 * the middle was cut — and starts afresh.
 */
export class UnreadOutput {
  private readonly buffer: HeadTailBuffer;
  private readonly waiters = new Set<() => void>();

  constructor(capacity = 8 * 1024 * 1024) {
    this.buffer = new HeadTailBuffer(capacity);
  }

  get bytes(): number {
    return this.buffer.totalBytes;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.buffer.push(chunk);
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

  /**
   * The unread output as text (CRLF as LF when `crlf`), at most `limit` bytes of it; then empty again. What was cut —
   * by the buffer past its capacity, or here past `limit` — is one marker between the first and the last bytes: the
   * buffer only ever drops from between its head and tail, and both are full once it drops, so the cut of `limit`
   * (a half of it from each end) always contains the buffer's own gap.
   */
  take(limit: number, crlf = false): { text: string; bytes: number; truncated: boolean } {
    const { head, tail } = this.buffer.keptParts();
    const bytes = this.buffer.totalBytes;
    this.buffer.clear();
    const kept = concatBytes([head, tail]);
    const decode = (part: Uint8Array) => {
      const text = new TextDecoder().decode(part);
      return crlf ? text.replace(/\r\n/g, "\n") : text;
    };
    if (bytes === kept.length && kept.length <= limit) return { text: decode(kept), bytes, truncated: false };
    const from = kept.length <= limit ? head.length : Math.floor(limit / 2);
    const to = kept.length <= limit ? head.length : kept.length - (limit - from);
    const omitted = bytes - from - (kept.length - to);
    return { text: `${decode(kept.subarray(0, from))}\n…[${omitted} bytes omitted]…\n${decode(kept.subarray(to))}`, bytes, truncated: true };
  }
}
