/**
 * The nonce sentinel that marks the end of each command in a live PTY shell, and the shell quoting used to send
 * commands to it. The shell prints `\x1eCO<nonce>:<seq>:<exit code>\x1f` from its prompt hook; the stripper below
 * removes it from the byte stream (even when split across reads) and reports it instead.
 */

const RS = 0x1e;
const US = 0x1f;
/** Longest tail after the fixed prefix: `<seq>:<rc>` digits plus the terminator. */
const MAX_TAIL = 32;

export type Sentinel = { seq: number; exitCode: number };

/** A fresh random nonce: 16 lowercase hex characters. */
export function newNonce(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The printf format (as shell text) that produces the sentinel for `nonce`; `%s` = seq, `%s` = exit code. */
export function sentinelPrintfFormat(nonce: string): string {
  return `'\\036CO${nonce}:%s:%s\\037'`;
}

/**
 * Removes sentinels from a byte stream. Bytes that might start a sentinel are held back until it is clear whether
 * they do, so no fragment of a sentinel ever reaches the caller.
 */
export class SentinelStripper {
  private readonly prefix: Uint8Array;
  private held: Uint8Array = new Uint8Array(0);

  constructor(nonce: string) {
    this.prefix = new TextEncoder().encode(`\x1eCO${nonce}:`);
  }

  /** Feeds bytes; calls `onData` for plain output and `onSentinel` for each sentinel, in stream order. */
  push(chunk: Uint8Array, onData: (bytes: Uint8Array) => void, onSentinel: (s: Sentinel) => void): void {
    let buf = chunk;
    if (this.held.length > 0) {
      buf = new Uint8Array(this.held.length + chunk.length);
      buf.set(this.held);
      buf.set(chunk, this.held.length);
      this.held = new Uint8Array(0);
    }
    let start = 0;
    let i = buf.indexOf(RS, start);
    while (i !== -1) {
      const match = this.matchAt(buf, i);
      if (match === "partial") {
        if (i > start) onData(buf.subarray(start, i));
        this.held = buf.slice(i);
        return;
      }
      if (match === null) {
        i = buf.indexOf(RS, i + 1);
        continue;
      }
      if (i > start) onData(buf.subarray(start, i));
      onSentinel(match.sentinel);
      start = match.end;
      i = buf.indexOf(RS, start);
    }
    if (start < buf.length) onData(buf.subarray(start));
  }

  /** Releases held bytes (end of stream): they were not a sentinel after all. */
  flush(onData: (bytes: Uint8Array) => void): void {
    if (this.held.length > 0) onData(this.held);
    this.held = new Uint8Array(0);
  }

  private matchAt(buf: Uint8Array, i: number): { sentinel: Sentinel; end: number } | "partial" | null {
    const p = this.prefix;
    for (let k = 0; k < p.length; k++) {
      if (i + k >= buf.length) return "partial";
      if (buf[i + k] !== p[k]) return null;
    }
    let j = i + p.length;
    let text = "";
    while (j < buf.length && j - i - p.length <= MAX_TAIL) {
      const b = buf[j] as number;
      if (b === US) {
        const m = /^(\d+):(\d+)$/.exec(text);
        if (m === null) return null;
        return { sentinel: { seq: Number(m[1]), exitCode: Number(m[2]) }, end: j + 1 };
      }
      if (!((b >= 0x30 && b <= 0x39) || b === 0x3a)) return null;
      text += String.fromCharCode(b);
      j++;
    }
    return j - i - p.length > MAX_TAIL ? null : "partial";
  }
}

/**
 * Quotes a string as a bash ANSI-C string (`$'…'`). Control characters become `\xHH`, so the quoted text holds only
 * printable characters and one line: the terminal's line discipline never sees a newline, Ctrl-C or erase character.
 */
export function ansiCQuote(value: string): string {
  let out = "$'";
  for (const ch of value) {
    const code = ch.codePointAt(0) as number;
    if (ch === "\\") out += "\\\\";
    else if (ch === "'") out += "\\'";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}'`;
}

/** Splits text into pieces of at most `size` UTF-16 units without splitting a surrogate pair. */
export function splitText(value: string, size: number): string[] {
  const pieces: string[] = [];
  let i = 0;
  while (i < value.length) {
    let end = Math.min(i + size, value.length);
    const last = value.charCodeAt(end - 1);
    if (end < value.length && last >= 0xd800 && last <= 0xdbff) end--;
    pieces.push(value.slice(i, end));
    i = end;
  }
  return pieces;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isEnvName(name: string): boolean {
  return ENV_NAME.test(name);
}
