import { describe, expect, test } from "bun:test";
import { SentinelStripper, ansiCQuote, splitText } from "../../src/exec/session-sentinel.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function run(nonce: string, chunks: Uint8Array[]) {
  const stripper = new SentinelStripper(nonce);
  const events: string[] = [];
  let data = "";
  for (const chunk of chunks) {
    stripper.push(
      chunk,
      (bytes) => (data += dec.decode(bytes)),
      (s) => events.push(`${data.length}:${s.seq}:${s.exitCode}`),
    );
  }
  stripper.flush((bytes) => (data += dec.decode(bytes)));
  return { data, events };
}

describe("SentinelStripper", () => {
  const nonce = "0123456789abcdef";
  const stream = enc.encode(`hello\x1eCO${nonce}:3:0\x1fnext\x1e not ours \x1eCO${nonce}:4:127\x1f\x1eCOdeadbeefdeadbeef:5:1\x1ftail`);

  test("removes sentinels and reports them in order", () => {
    const { data, events } = run(nonce, [stream]);
    expect(data).toBe(`hellonext\x1e not ours \x1eCOdeadbeefdeadbeef:5:1\x1ftail`);
    expect(events).toEqual(["5:3:0", "20:4:127"]);
  });

  test("any split across reads gives the same result (byte by byte)", () => {
    const whole = run(nonce, [stream]);
    const bytewise = run(nonce, Array.from(stream, (b) => Uint8Array.of(b)));
    expect(bytewise).toEqual(whole);
    for (let cut = 1; cut < stream.length; cut++) {
      expect(run(nonce, [stream.subarray(0, cut), stream.subarray(cut)])).toEqual(whole);
    }
  });

  test("a held prefix that never completes is released on flush", () => {
    const { data, events } = run(nonce, [enc.encode(`x\x1eCO${nonce}:1`)]);
    expect(data).toBe(`x\x1eCO${nonce}:1`);
    expect(events).toEqual([]);
  });
});

describe("ansiCQuote", () => {
  test("escapes quotes, backslashes and control characters; keeps one printable line", () => {
    const q = ansiCQuote("a'b\\c\nd\te\x03f\x7fü");
    expect(q).toBe("$'a\\'b\\\\c\\x0ad\\x09e\\x03f\\x7fü'");
    expect([...q].some((c) => (c.codePointAt(0) as number) < 0x20 || c === "\x7f")).toBe(false);
  });

  test("round-trips through bash", () => {
    const value = "it's \"quoted\" $HOME `cmd` \\n !! \n\x01 end";
    const out = Bun.spawnSync(["bash", "-c", `printf %s ${ansiCQuote(value)}`]).stdout.toString();
    expect(out).toBe(value);
  });
});

test("splitText never splits a surrogate pair", () => {
  const parts = splitText("ab😀cd", 3);
  expect(parts.join("")).toBe("ab😀cd");
  for (const p of parts) expect(p.isWellFormed()).toBe(true);
});
