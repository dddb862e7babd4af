import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { MAX_CHUNK_BYTES, type OutputChunk, Utf8Chunker } from "../../src/exec/chunker.ts";
import { escapeJsonBytes, escapeJsonBytesInJs, useEscapeModule } from "../../src/exec/json-escape.ts";
import { startAttempt } from "../../src/exec/process-runner.ts";

/** Real processes on a shared 2-core machine: far above the expected times, well below a hang. */
const TEST_TIMEOUT_MS = 20_000;

const enc = new TextEncoder();
const bytesOf = (...xs: number[]) => new Uint8Array(xs);
const joinRaw = (chunks: OutputChunk[]) => Buffer.concat(chunks.map((c) => c.raw));

/** Runs a shell snippet through the real attempt engine and collects its chunks. */
async function chunksOf(script: string): Promise<OutputChunk[]> {
  const chunks: OutputChunk[] = [];
  const attempt = startAttempt({ argv: ["/bin/sh", "-c", script], cwd: "/", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } }, (c) => {
    chunks.push(c);
  });
  await attempt.result;
  return chunks;
}

describe("Utf8Chunker", () => {
  test("chunks own their bytes even when the input is a Node Buffer (whose slice is a view)", () => {
    const input = Buffer.from("abcdef\xe2\x82", "latin1");
    const chunker = new Utf8Chunker("stdout", 4);
    const chunks = chunker.push(input);
    // The reader's buffer is reused or released after the push.
    input.fill(0);
    expect(chunks.map((c) => Buffer.from(c.raw).toString())).toEqual(["abcd", "ef"]);
    expect(chunker.push(Buffer.from([0xac])).map((c) => c.data)).toEqual(["€"]);
  });

  test("plain text passes through as one text chunk", () => {
    const chunks = new Utf8Chunker("stdout").push(enc.encode("héllo\n"));
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatchObject({ stream: "stdout", bytes: 7, data: "héllo\n" });
    expect(chunks[0]?.encoding).toBeUndefined();
  });

  test("cuts at 8192 bytes without splitting a character", () => {
    // 8191 ASCII bytes then "€" (3 bytes): the euro sign must not be cut at 8192.
    const input = enc.encode(`${"a".repeat(8191)}€${"b".repeat(20000)}`);
    const chunks = new Utf8Chunker("stdout").push(input);
    for (const c of chunks) {
      expect(c.bytes).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
      expect(c.encoding).toBeUndefined();
    }
    expect(chunks[0]?.bytes).toBe(8191);
    expect(chunks.map((c) => c.data).join("")).toBe(new TextDecoder().decode(input));
    expect(joinRaw(chunks).equals(Buffer.from(input))).toBe(true);
  });

  test("chunks own their bytes: changing the input afterwards does not change them", () => {
    const input = enc.encode("abc");
    const [chunk] = new Utf8Chunker("stdout").push(input);
    input.fill(0x7a);
    expect(Buffer.from(chunk?.raw ?? []).toString()).toBe("abc");
  });

  test("an incomplete trailing sequence waits for the next read", () => {
    const chunker = new Utf8Chunker("stderr");
    const first = chunker.push(bytesOf(0x41, 0xe2, 0x82));
    expect(first.map((c) => c.data)).toEqual(["A"]);
    const second = chunker.push(bytesOf(0xac, 0x0a));
    expect(second.map((c) => c.data)).toEqual(["€\n"]);
    expect(chunker.end()).toBeNull();
  });

  test("a read holding only part of a character yields nothing yet", () => {
    const chunker = new Utf8Chunker("stdout");
    expect(chunker.push(bytesOf(0xf0, 0x9f))).toEqual([]);
    expect(chunker.push(bytesOf(0x98))).toEqual([]);
    expect(chunker.push(bytesOf(0x80)).map((c) => c.data)).toEqual(["😀"]);
  });

  test("invalid bytes go base64", () => {
    const chunks = new Utf8Chunker("stdout").push(bytesOf(0xff, 0x0a));
    expect(chunks.map(({ stream, bytes, data, encoding, raw }) => ({ stream, bytes, data, encoding, raw }))).toEqual([
      { stream: "stdout", bytes: 2, data: "/wo=", encoding: "base64", raw: bytesOf(0xff, 0x0a) },
    ]);
    expect(new TextDecoder().decode(chunks[0]?.json)).toBe("/wo=");
  });

  test("an incomplete sequence at end of stream goes base64", () => {
    const chunker = new Utf8Chunker("stdout");
    expect(chunker.push(bytesOf(0x78, 0xe2, 0x82)).map((c) => c.data)).toEqual(["x"]);
    const tail = chunker.end();
    expect(tail).toMatchObject({ bytes: 2, encoding: "base64", data: Buffer.from([0xe2, 0x82]).toString("base64") });
  });

  test("a held sequence followed by a non-continuation byte is invalid, not lost", () => {
    const chunker = new Utf8Chunker("stdout");
    chunker.push(bytesOf(0xe2, 0x82));
    const chunks = chunker.push(enc.encode("ok"));
    expect(joinRaw(chunks).equals(Buffer.from([0xe2, 0x82, 0x6f, 0x6b]))).toBe(true);
    expect(chunks[0]?.encoding).toBe("base64");
  });

  test("long runs of invalid bytes are still cut at 8192", () => {
    const input = new Uint8Array(20000).fill(0x80);
    const chunks = new Utf8Chunker("stdout").push(input);
    expect(chunks.map((c) => c.bytes)).toEqual([8192, 8192, 3616]);
    expect(chunks.every((c) => c.encoding === "base64")).toBe(true);
  });
});

describe("Utf8Chunker: chunks as views of the stream's ring (feed, next)", () => {
  /** Multi-byte text with escapes, `n` bytes or a little more. */
  const text = (n: number) => {
    let s = "";
    for (let i = 0; s.length < n; i++) s += `${i} é€😀 "q" \\ \t line\n`;
    return enc.encode(s);
  };

  test("a read far larger than the ring: each chunk, taken when it is cut, holds its bytes, never a split character", () => {
    const input = text(1_000_000);
    const chunker = new Utf8Chunker("stdout");
    const seen: Uint8Array[] = [];
    // Two reads, the first ending inside a character.
    const cut = 600_001;
    for (const read of [input.subarray(0, cut), input.subarray(cut)]) {
      chunker.feed(read);
      for (let chunk = chunker.next(); chunk !== null; chunk = chunker.next()) {
        expect(chunk.bytes).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
        expect(chunk.encoding).toBeUndefined();
        // Copied at once, as a subscriber does; the JSON escape agrees with the text.
        seen.push(chunk.view.slice());
        expect(new TextDecoder().decode(chunk.json)).toBe(JSON.stringify(chunk.data).slice(1, -1));
      }
    }
    expect(chunker.end()).toBeNull();
    expect(Buffer.concat(seen).equals(Buffer.from(input))).toBe(true);
    // The ring is the stream's tail: the last 64 KiB.
    expect(Buffer.from(chunker.tail?.bytes() ?? []).equals(Buffer.from(input.subarray(input.byteLength - 65536)))).toBe(true);
  });

  test("a chunk read after 128 KiB more output throws instead of showing other bytes; raw taken in time is kept", () => {
    const chunker = new Utf8Chunker("stdout");
    chunker.feed(new Uint8Array(16384).fill(0x61));
    const kept = chunker.next() as OutputChunk;
    const dropped = chunker.next() as OutputChunk;
    void kept.raw;
    chunker.feed(new Uint8Array(200_000).fill(0x62));
    while (chunker.next() !== null);
    expect(() => dropped.view).toThrow(/reused/);
    expect(() => dropped.data).toThrow(/reused/);
    expect(Buffer.from(kept.view).toString()).toBe("a".repeat(8192));
    expect(kept.data).toBe("a".repeat(8192));
  });

  test("a chunk's escaped json stays its own after other chunks were escaped", () => {
    const chunker = new Utf8Chunker("stdout");
    chunker.feed(enc.encode('one\n"1"'));
    const a = chunker.next() as OutputChunk;
    const aJson = new TextDecoder().decode(a.json);
    chunker.feed(enc.encode("two\t\\2"));
    const b = chunker.next() as OutputChunk;
    expect(new TextDecoder().decode(b.json)).toBe(JSON.stringify("two\t\\2").slice(1, -1));
    expect(new TextDecoder().decode(a.json)).toBe(aJson);
    expect(aJson).toBe(JSON.stringify('one\n"1"').slice(1, -1));
  });
});

for (const [path, escapeBytes] of [
  ["the WebAssembly module", escapeJsonBytes],
  ["the JavaScript loop", escapeJsonBytesInJs],
] as const) {
  describe(`escapeJsonBytes: ${path}`, () => {
    beforeAll(() => {
      expect(useEscapeModule()).toBe(true);
    });
  const escapedText = (bytes: Uint8Array) => new TextDecoder().decode(escapeBytes(bytes));

  test("escapes exactly as JSON.stringify does between its quotes", () => {
    let text = "";
    for (let c = 0; c < 0x80; c++) text += String.fromCharCode(c);
    text += "é€😀\u2028\u2029\u00a0\ufeff\u007f";
    expect(escapedText(enc.encode(text))).toBe(JSON.stringify(text).slice(1, -1));
  });

  test("random valid UTF-8 round-trips through JSON.parse", () => {
    const alphabet = ["a", " ", "\n", "\t", "\r", '"', "\\", "\u0000", "\u001f", "\b", "\f", "é", "€", "😀", "/", "\u007f"];
    for (let round = 0; round < 200; round++) {
      let text = "";
      const length = Math.floor(Math.random() * 64);
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(Math.random() * alphabet.length)];
      const escaped = escapedText(enc.encode(text));
      expect(escaped).toBe(JSON.stringify(text).slice(1, -1));
      expect(JSON.parse(`"${escaped}"`)).toBe(text);
    }
  });

  test("every length and alignment, escapes anywhere in a word, multi-byte text around them", () => {
    const pieces = ["a", "b", "\n", '"', "\\", "\u0000", "\u001f", " ", "é", "€", "😀", "\u007f", "~", "\t"];
    const backing = new Uint8Array(4096);
    for (let round = 0; round < 400; round++) {
      let text = "";
      const length = Math.floor(Math.random() * 300);
      for (let i = 0; i < length; i++) text += round % 3 === 0 && i % 9 !== 0 ? "x" : (pieces[Math.floor(Math.random() * pieces.length)] as string);
      const bytes = enc.encode(text);
      // Aligned and unaligned views into a larger buffer (chunks are views at any offset).
      const offset = round % 5;
      backing.set(bytes, offset);
      const view = backing.subarray(offset, offset + bytes.byteLength);
      expect(escapedText(view)).toBe(JSON.stringify(text).slice(1, -1));
    }
  });

  test("every byte value at every position of a 16-byte block, in inputs up to a whole chunk", () => {
    for (let value = 0; value < 0x80; value++) {
      for (const size of [1, 15, 16, 17, 31, 32, 33, 4096, 8191, 8192]) {
        const at = (value * 7) % size;
        const bytes = new Uint8Array(size).fill(0x61);
        bytes[at] = value;
        const text = new TextDecoder().decode(bytes);
        expect(escapedText(bytes)).toBe(JSON.stringify(text).slice(1, -1));
      }
    }
  });

  test("bytes that need no escaping are returned as they are, without a copy", () => {
    const input = enc.encode("plain text, é and € included");
    expect(escapeBytes(input)).toBe(input);
    const chunk = new Uint8Array(8192).fill(0x7a);
    expect(escapeBytes(chunk)).toBe(chunk);
  });
  });
}

describe("escapeJsonBytes", () => {
  test("a process escapes with the loop until 256 KiB went through it, then with the module", async () => {
    const script = `
      import { escapeJsonBytes, escapeModuleState } from ${JSON.stringify(join(import.meta.dir, "../../src/exec/json-escape.ts"))};
      const text = 'a "b"\\n\\t c ' + "x".repeat(8000);
      const input = new TextEncoder().encode(text);
      const want = JSON.stringify(text).slice(1, -1);
      const states = [];
      for (let i = 0; i < 400; i++) {
        if (new TextDecoder().decode(escapeJsonBytes(input)) !== want) throw new Error("wrong at " + i);
        if (i === 20 || i === 40) states.push(escapeModuleState());
      }
      states.push(escapeModuleState());
      console.log(states.join(" "));
    `;
    const proc = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
    const [out, err] = [await new Response(proc.stdout).text(), await new Response(proc.stderr).text()];
    expect(err).toBe("");
    expect(await proc.exited).toBe(0);
    // 8 KiB per call: 256 KiB after 32 calls.
    const [at20, at40, end] = out.trim().split(" ");
    expect(at20).toBe("not-loaded");
    expect(at40).toBe("ready");
    expect(end).toBe("ready");
  }, 20_000);

  test("uses the WebAssembly module (the fast path) here, and the loop for inputs over 8 KiB, with the same result", () => {
    expect(useEscapeModule()).toBe(true);
    const text = `${"x".repeat(9000)}\n"${"é".repeat(10)}\u0001`;
    expect(new TextDecoder().decode(escapeJsonBytes(enc.encode(text)))).toBe(JSON.stringify(text).slice(1, -1));
  });

  test("a chunk's json and data agree, for text and for base64", () => {
    const [text] = new Utf8Chunker("stdout").push(enc.encode('line "one"\n\ttwo\\'));
    expect(new TextDecoder().decode(text?.json)).toBe(JSON.stringify(text?.data).slice(1, -1));
    const [binary] = new Utf8Chunker("stdout").push(bytesOf(0x00, 0xff, 0x22));
    expect(binary?.encoding).toBe("base64");
    expect(new TextDecoder().decode(binary?.json)).toBe(JSON.stringify(binary?.data).slice(1, -1));
  });
});

describe("chunking real process output", () => {
  test("a character split across two writes joins into text chunks", async () => {
    const chunks = await chunksOf("printf '\\342\\202'; sleep 0.2; printf '\\254\\n'");
    expect(chunks.every((c) => c.encoding === undefined)).toBe(true);
    expect(chunks.map((c) => c.data).join("")).toBe("€\n");
  }, TEST_TIMEOUT_MS);

  test("an invalid byte gives one base64 chunk", async () => {
    const chunks = await chunksOf("printf '\\377\\n'");
    expect(chunks.map(({ stream, bytes, data, encoding }) => ({ stream, bytes, data, encoding }))).toEqual([
      { stream: "stdout", bytes: 2, data: "/wo=", encoding: "base64" },
    ]);
  }, TEST_TIMEOUT_MS);

  test("multi-byte text larger than a chunk is never split inside a character", async () => {
    // 30 000 euro signs (90 000 bytes) in one write: every chunk boundary falls between characters.
    const chunks = await chunksOf("i=0; s=''; while [ $i -lt 100 ]; do s=\"$s€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€\"; i=$((i+1)); done; j=0; while [ $j -lt 10 ]; do printf '%s' \"$s\"; j=$((j+1)); done");
    expect(chunks.every((c) => c.encoding === undefined && c.bytes <= MAX_CHUNK_BYTES && c.bytes % 3 === 0)).toBe(true);
    expect(chunks.map((c) => c.data).join("")).toBe("€".repeat(30000));
  }, TEST_TIMEOUT_MS);
});
