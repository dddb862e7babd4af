import { describe, expect, test } from "bun:test";
import { TAIL_BYTES, TailBuffer } from "../../src/exec/tail-buffer.ts";

const enc = new TextEncoder();

describe("TailBuffer", () => {
  test("keeps everything below the window", () => {
    const tail = new TailBuffer();
    tail.push(enc.encode("hello "));
    tail.push(enc.encode("wörld"));
    expect(tail.text()).toBe("hello wörld");
    expect(tail.totalBytes).toBe(12);
    expect(tail.truncated).toBe(false);
  });

  test("keeps exactly the last 65 536 bytes across many pushes", () => {
    const tail = new TailBuffer();
    const all: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const piece = enc.encode(`${String(i).padStart(5, "0")}:${"x".repeat(i % 150)}\n`);
      tail.push(piece);
      all.push(...piece);
    }
    const expected = Buffer.from(all.slice(all.length - TAIL_BYTES)).toString("latin1");
    expect(tail.totalBytes).toBe(all.length);
    expect(tail.truncated).toBe(true);
    expect(Buffer.from(tail.bytes()).toString("latin1")).toBe(expected);
    expect(tail.text()).toHaveLength(TAIL_BYTES);
  });

  test("a push larger than the window keeps its end", () => {
    const tail = new TailBuffer(8);
    tail.push(enc.encode("ab"));
    tail.push(enc.encode("0123456789"));
    expect(tail.text()).toBe("23456789");
    tail.push(enc.encode("XY"));
    expect(tail.text()).toBe("456789XY");
    expect(tail.totalBytes).toBe(14);
  });

  test("a character cut at the window start is dropped", () => {
    const tail = new TailBuffer(8);
    // "€" is e2 82 ac: the window keeps only "82 ac" of it.
    tail.push(enc.encode("abc€abcdef"));
    expect(tail.text()).toBe("abcdef");
  });

  test("invalid bytes become U+FFFD", () => {
    const tail = new TailBuffer();
    tail.push(new Uint8Array([0x61, 0xff, 0x62]));
    expect(tail.text()).toBe("a\uFFFDb");
  });

  test("views of recent bytes are contiguous and exact wherever the ring wraps", () => {
    const tail = new TailBuffer(TAIL_BYTES, { mirror: 8192 });
    const all: number[] = [];
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let i = 0; i < 400; i++) {
      const piece = new Uint8Array(1 + rand(9000)).map(() => rand(256));
      tail.write(piece, 0, piece.byteLength);
      all.push(...piece);
      const to = all.length - rand(Math.min(50, all.length));
      const from = Math.max(0, to - rand(8193));
      expect(Buffer.from(tail.view(from, to)).equals(Buffer.from(all.slice(from, to)))).toBe(true);
    }
    expect(Buffer.from(tail.bytes()).equals(Buffer.from(all.slice(all.length - TAIL_BYTES)))).toBe(true);
    // Bytes written more than `span` ago are gone: no view of them.
    expect(tail.holds(all.length - tail.span)).toBe(true);
    expect(tail.holds(all.length - tail.span - 1)).toBe(false);
    expect(() => tail.view(all.length - tail.span - 1, all.length - tail.span)).toThrow(RangeError);
  });
});
