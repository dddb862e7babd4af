import { describe, expect, test } from "bun:test";
import { CrlfNormalizer, HeadTailBuffer } from "../../src/exec/session-output.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

describe("CrlfNormalizer", () => {
  test("CRLF → LF even when split between chunks; lone CR kept", () => {
    const n = new CrlfNormalizer();
    const out = [n.push(enc.encode("a\r\nb\r")), n.push(enc.encode("\nc\rd\r")), n.push(enc.encode("e")), n.push(enc.encode("\r")), n.flush()];
    expect(out.map((b) => dec.decode(b)).join("")).toBe("a\nb\nc\rd\re\r");
  });
});

describe("HeadTailBuffer", () => {
  test("keeps everything under the limit", () => {
    const b = new HeadTailBuffer(16);
    b.push(enc.encode("hello "));
    b.push(enc.encode("world"));
    expect(b.text()).toBe("hello world");
    expect(b.truncated).toBe(false);
  });

  test("keeps head and tail and marks the omitted middle", () => {
    const b = new HeadTailBuffer(8);
    for (const part of ["0123", "4567", "89ab", "cdef"]) b.push(enc.encode(part));
    expect(b.totalBytes).toBe(16);
    expect(b.truncated).toBe(true);
    expect(b.text()).toBe("0123\n…[8 bytes omitted]…\ncdef");
  });

  test("a tail-only buffer gives the recent output", () => {
    const b = new HeadTailBuffer(6, 0);
    b.push(enc.encode("abcdefghij"));
    expect(b.tailText(4)).toBe("ghij");
    expect(b.tailText(100)).toBe("efghij");
  });
});
