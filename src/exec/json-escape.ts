import { optimizeHotLoop } from "./jit-hints.ts";

/**
 * JSON escaping of output bytes (issue 21): every `exec:chunk` line, on stdout and in the log, holds its chunk's bytes
 * escaped for the inside of a JSON string — exactly what `JSON.stringify` puts between its quotes for the decoded text:
 * `"` and `\\`, `\b \f \n \r \t`, other control characters as `\u00xx`, everything else (DEL, multi-byte sequences) as
 * it is. Those are all single bytes, which never occur inside a multi-byte UTF-8 sequence, so escaping the bytes one by
 * one is escaping the text.
 *
 * It runs in a small WebAssembly module of our own, assembled below: a SIMD scan, 16 bytes at a time, for the first
 * byte to escape (most output has none in a whole chunk, or few), then a table-driven loop. Measured in the executable
 * (raised JIT thresholds), 6 100 chunks of 8 KiB: 11–16 ms including the copy into the module's memory, against
 * 55–100 ms for the byte loop in JavaScript (below, still used for inputs over 8 KiB and where WebAssembly with SIMD
 * is not available). Ways without a module were measured too: reading the bytes as a latin1 string for the runtime's
 * own scanner and `JSON.stringify` costs a fresh 8 KiB string per chunk, and the garbage collector does not reclaim
 * them fast enough: +20 MiB of peak memory on 50 MB, and first-touch page faults that cost more than the loop. The
 * module's price is memory: ~4 MiB more peak than the loop at DFG speed, mostly its optimizing tier (OMG), which has
 * no switch per module (figures and the trade-off: docs/benchmarks.md, issue 21 streaming; `MODULE_AFTER_BYTES`).
 */

/** Largest input the module escapes; chunks are at most this long (`MAX_CHUNK_BYTES`). */
export const MODULE_INPUT_BYTES = 8192;

// The module's one page of memory: the input, the output (worst case 6 bytes per input byte), a table giving each byte
// value its escape letter (0: none; `u`: `\u00xx`), the hex digits.
const IN = 0;
const OUT = MODULE_INPUT_BYTES;
const TABLE = OUT + 6 * MODULE_INPUT_BYTES;
const HEX = TABLE + 256;

/** The escape letter of each byte value, as JSON.stringify writes it: `\n` → `n`, `"` → `"`, 0x01 → `u` (…). */
function escapeTable(): number[] {
  const table = new Array<number>(256).fill(0);
  for (let b = 0; b < 0x20; b++) table[b] = 0x75;
  table[0x08] = 0x62;
  table[0x09] = 0x74;
  table[0x0a] = 0x6e;
  table[0x0c] = 0x66;
  table[0x0d] = 0x72;
  table[0x22] = 0x22;
  table[0x5c] = 0x5c;
  return table;
}

// A minimal WebAssembly encoder: unsigned and signed LEB128, sections, names.
const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
};
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (text: string): number[] => [...uleb(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];

const I32 = 0x7f;
const V128 = 0x7b;
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const tee = (i: number) => [0x22, ...uleb(i)];
const i32 = (n: number) => [0x41, ...sleb(n)];
const simd = (op: number) => [0xfd, ...uleb(op)];
/** memarg: alignment 0, the given offset. */
const at = (offset = 0) => [0, ...uleb(offset)];
const [ADD, SUB, AND, SHR_U, GT_U, GE_U, EQ, EQZ] = [0x6a, 0x6b, 0x71, 0x76, 0x4b, 0x4f, 0x46, 0x45];
const [LOAD8_U, STORE8] = [0x2d, 0x3a];
const [BLOCK, LOOP, IF, ELSE, END, BR, BR_IF, RETURN, VOID] = [0x02, 0x03, 0x04, 0x05, 0x0b, 0x0c, 0x0d, 0x0f, 0x40];
const [V128_LOAD, I8X16_SPLAT, I8X16_EQ, I8X16_LT_U, V128_OR, V128_ANY_TRUE] = [0x00, 0x0f, 0x23, 0x26, 0x50, 0x53];

/**
 * `escape(n)`: escapes the input `[IN, IN + n)` into `[OUT, …)` and returns the output's length, or −1 when no byte
 * needs escaping (the input is its own escape).
 */
function moduleBytes(): Uint8Array<ArrayBuffer> {
  const [n, i, b, o, e, lo, quote, slash, v] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const code = [
    ...i32(0x20), ...simd(I8X16_SPLAT), ...set(lo),
    ...i32(0x22), ...simd(I8X16_SPLAT), ...set(quote),
    ...i32(0x5c), ...simd(I8X16_SPLAT), ...set(slash),
    // Whole 16-byte blocks without a byte to escape are skipped.
    BLOCK, VOID, LOOP, VOID,
    ...get(i), ...i32(16), ADD, ...get(n), GT_U, BR_IF, 1,
    ...get(i), ...simd(V128_LOAD), ...at(IN), ...tee(v), ...get(lo), ...simd(I8X16_LT_U),
    ...get(v), ...get(quote), ...simd(I8X16_EQ), ...simd(V128_OR),
    ...get(v), ...get(slash), ...simd(I8X16_EQ), ...simd(V128_OR),
    ...simd(V128_ANY_TRUE), BR_IF, 1,
    ...get(i), ...i32(16), ADD, ...set(i), BR, 0,
    END, END,
    // Then byte by byte, up to the first one to escape.
    BLOCK, VOID, LOOP, VOID,
    ...get(i), ...get(n), GE_U, BR_IF, 1,
    ...get(i), LOAD8_U, ...at(IN), LOAD8_U, ...at(TABLE), BR_IF, 1,
    ...get(i), ...i32(1), ADD, ...set(i), BR, 0,
    END, END,
    ...get(i), ...get(n), GE_U, IF, VOID, ...i32(-1), RETURN, END,
    // The bytes before it, as they are (memory.copy dst src len).
    ...i32(OUT), ...i32(IN), ...get(i), 0xfc, ...uleb(10), 0, 0,
    ...i32(OUT), ...get(i), ADD, ...set(o),
    BLOCK, VOID, LOOP, VOID,
    ...get(i), ...get(n), GE_U, BR_IF, 1,
    ...get(i), LOAD8_U, ...at(IN), ...tee(b), LOAD8_U, ...at(TABLE), ...tee(e), EQZ,
    IF, VOID,
    ...get(o), ...get(b), STORE8, ...at(0), ...get(o), ...i32(1), ADD, ...set(o),
    ELSE,
    ...get(o), ...i32(0x5c), STORE8, ...at(0), ...get(o), ...get(e), STORE8, ...at(1),
    ...get(e), ...i32(0x75), EQ,
    IF, VOID,
    ...get(o), ...i32(0x30), STORE8, ...at(2), ...get(o), ...i32(0x30), STORE8, ...at(3),
    ...get(o), ...get(b), ...i32(4), SHR_U, LOAD8_U, ...at(HEX), STORE8, ...at(4),
    ...get(o), ...get(b), ...i32(15), AND, LOAD8_U, ...at(HEX), STORE8, ...at(5),
    ...get(o), ...i32(6), ADD, ...set(o),
    ELSE,
    ...get(o), ...i32(2), ADD, ...set(o),
    END,
    END,
    ...get(i), ...i32(1), ADD, ...set(i), BR, 0,
    END, END,
    ...get(o), ...i32(OUT), SUB,
    END,
  ];
  const body = [2, 4, I32, 4, V128, ...code];
  const data = [...escapeTable(), ...Array.from("0123456789abcdef", (c) => c.charCodeAt(0))];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 1, I32, 1, I32]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [2, ...name("escape"), 0x00, 0, ...name("memory"), 0x02, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
    ...section(11, [1, 0x00, ...i32(TABLE), END, ...uleb(data.length), ...data]),
  ]);
}

type Escaper = { run: (n: number) => number; memory: Uint8Array };

/**
 * Bytes escaped by the loop before the module is compiled. Assembling, compiling and instantiating it takes about 5 ms
 * (measured in the executable) and maps the WebAssembly compiler's code: a command printing a few lines must not pay
 * that. The loop, taken to the baseline JIT early, escapes 256 KiB in a few milliseconds. The module is compiled
 * synchronously then: compiled in the background instead, it became ready only after several MB of bulk output had
 * gone through the loop at ~30 ns a byte (100 ms of 50 MB of text, profiled), the main thread being busy with them.
 */
export const MODULE_AFTER_BYTES = 256 * 1024;
let loopBytes = 0;

/** The module: not compiled yet (undefined), ready, or null where WebAssembly (with SIMD) is not available. */
let escaper: Escaper | null | undefined;

function loadEscaper(): Escaper | null {
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()), {});
    const exports = instance.exports as { escape: (n: number) => number; memory: WebAssembly.Memory };
    return { run: exports.escape, memory: new Uint8Array(exports.memory.buffer) };
  } catch {
    return null;
  }
}

/**
 * `src` escaped for the inside of a JSON string (see above): `src` itself when nothing needs escaping, otherwise a
 * view of a buffer that the next call reuses — copy it (write it) before escaping anything else.
 */
export function escapeJsonBytes(src: Uint8Array): Uint8Array {
  let module = escaper;
  if (module === undefined) {
    loopBytes += src.byteLength;
    if (loopBytes >= MODULE_AFTER_BYTES) module = escaper = loadEscaper();
  }
  if (module === undefined || module === null || src.byteLength > MODULE_INPUT_BYTES) return escapeJsonBytesInJs(src, module === null);
  module.memory.set(src, IN);
  const length = module.run(src.byteLength);
  if (length < 0) return src;
  generation += 1;
  return module.memory.subarray(OUT, OUT + length);
}

/** Counts the results written into a reused buffer: a result is still there while this has not changed. */
let generation = 0;

export function escapeGeneration(): number {
  return generation;
}

/** Where the module is: what tests (and a profile) look at. */
export function escapeModuleState(): "not-loaded" | "ready" | "unavailable" {
  if (escaper === undefined) return "not-loaded";
  return escaper === null ? "unavailable" : "ready";
}

/** Compiles the module now; false where it is not available (for tests). */
export function useEscapeModule(): boolean {
  if (escaper === undefined) escaper = loadEscaper();
  return escaper !== null;
}

const HEX_DIGITS = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102];
/** Calls after which the byte loop below is worth its compilation (bulk output: 16 chunks = 128 KiB), and between hints. */
const HOT_AFTER_CALLS = 16;
let loopCalls = 0;
let loopScratch = new Uint8Array(6 * MODULE_INPUT_BYTES);

/**
 * The same escape as a byte loop in JavaScript (same contract as `escapeJsonBytes`). `hot`: it is the escaper for good
 * (no module here), so it asks the optimizing JIT for it once bulk output is seen.
 */
export function escapeJsonBytesInJs(src: Uint8Array, hot = false): Uint8Array {
  // Under the raised JIT thresholds one hint only takes it to the baseline JIT (at once: interpreted, the loop costs
  // ~30 ns a byte); a few more take it to the DFG, which only pays where it is the escaper for good.
  loopCalls += 1;
  if (loopCalls === 2 || (hot && loopCalls % HOT_AFTER_CALLS === 0 && loopCalls <= HOT_AFTER_CALLS * 8)) optimizeHotLoop(escapeJsonBytesInJs);
  const n = src.byteLength;
  let i = 0;
  while (i < n) {
    const b = src[i] as number;
    if (b < 0x20 || b === 0x22 || b === 0x5c) break;
    i++;
  }
  if (i === n) return src;
  generation += 1;
  if (loopScratch.byteLength < n * 6) loopScratch = new Uint8Array(n * 6);
  const out = loopScratch;
  out.set(src.subarray(0, i), 0);
  let o = i;
  for (; i < n; i++) {
    const b = src[i] as number;
    if (b >= 0x20 && b !== 0x22 && b !== 0x5c) {
      out[o++] = b;
      continue;
    }
    out[o++] = 0x5c;
    if (b === 0x22 || b === 0x5c) out[o++] = b;
    else if (b === 0x0a) out[o++] = 0x6e;
    else if (b === 0x0d) out[o++] = 0x72;
    else if (b === 0x09) out[o++] = 0x74;
    else if (b === 0x08) out[o++] = 0x62;
    else if (b === 0x0c) out[o++] = 0x66;
    else {
      out[o++] = 0x75;
      out[o++] = 0x30;
      out[o++] = 0x30;
      out[o++] = HEX_DIGITS[b >> 4] as number;
      out[o++] = HEX_DIGITS[b & 15] as number;
    }
  }
  return out.subarray(0, o);
}
