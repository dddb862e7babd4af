/**
 * SHA-256 (FIPS 180-4) of a text or of bytes, as `sha256:<hex>` (the digests the run records and the stage cache
 * keep) or bare hex. The one source of these digests.
 *
 * Why not `node:crypto`: loading it costs ~4 ms at start-up (it brings Node's streams), and every run hashes a few
 * short texts (its instructions, its pipeline and stage definitions, resume tokens) — issue 21. Web Crypto is
 * asynchronous and maps ~1.4 MiB more of the runtime's code. So short inputs are hashed here, in plain JavaScript;
 * large ones (file contents for the stage cache) go to the runtime's native hash, loaded at the first such input,
 * where a JavaScript loop run a few times (the executable's JIT thresholds are raised) would be slow. Both give the
 * same digest: `test/core/sha256.test.ts` checks them against each other and against the standard's vectors.
 * Measured in the executable: ~0.1 ms for a 300-byte text, ~0.2 ms per KiB; loading the native hash ~4 ms.
 */

/** Inputs longer than this (bytes) are hashed natively; once the native hash is loaded, every input is. */
export const NATIVE_HASH_MIN_BYTES = 4096;

/**
 * Bytes hashed in JavaScript before the native hash is loaded anyway. A run hashes a few texts (an exec run two); a
 * pipeline with a stage cache hashes every stage's environment, one digest per variable — hundreds of short texts,
 * which in plain JavaScript under the executable's raised JIT thresholds came to more than the native hash's loading
 * (bench/cache.ts, 20 cached stages against `exec -- true`: 2.00–2.10 × with the script hash alone in three full
 * bench runs, 1.89 × with a 16 KiB budget, 1.80 × with this one, in runs of their own; exec unchanged).
 */
export const SCRIPT_HASH_BUDGET_BYTES = 4 * 1024;
let scriptBytes = 0;

/** The first 32 bits of the fractional parts of the cube roots of the first 64 primes (FIPS 180-4 §4.2.2). */
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** The initial hash value: the first 32 bits of the fractional parts of the square roots of the first 8 primes. */
const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/** A 32-bit word as 8 hex digits. */
const wordHex = (word: number) => (word >>> 0).toString(16).padStart(8, "0");

let encoder: TextEncoder | null = null;

function bytesOf(data: string | Uint8Array): Uint8Array {
  if (typeof data !== "string") return data;
  encoder ??= new TextEncoder();
  return encoder.encode(data);
}

/** The digest of `bytes` as 8 big-endian words, computed block by block over the padded message. */
function digestWords(bytes: Uint8Array): number[] {
  const length = bytes.length;
  // The message, a 1 bit, zeros, and the bit length as a 64-bit big-endian number, in whole 64-byte blocks.
  const padded = new Uint8Array((((length + 8) >>> 6) + 1) << 6);
  padded.set(bytes);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(length / 0x20000000), false);
  view.setUint32(padded.length - 4, (length << 3) >>> 0, false);

  const h = H0.slice();
  const w = new Uint32Array(64);
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(offset + t * 4, false);
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15] as number;
      const y = w[t - 2] as number;
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[t] = (w[t - 16] as number) + s0 + (w[t - 7] as number) + s1;
    }
    let a = h[0] as number;
    let b = h[1] as number;
    let c = h[2] as number;
    let d = h[3] as number;
    let e = h[4] as number;
    let f = h[5] as number;
    let g = h[6] as number;
    let k = h[7] as number;
    for (let t = 0; t < 64; t++) {
      const sum1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const choose = (e & f) ^ (~e & g);
      const t1 = (k + sum1 + choose + (K[t] as number) + (w[t] as number)) | 0;
      const sum0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const majority = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (sum0 + majority) | 0;
      k = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] = ((h[0] as number) + a) | 0;
    h[1] = ((h[1] as number) + b) | 0;
    h[2] = ((h[2] as number) + c) | 0;
    h[3] = ((h[3] as number) + d) | 0;
    h[4] = ((h[4] as number) + e) | 0;
    h[5] = ((h[5] as number) + f) | 0;
    h[6] = ((h[6] as number) + g) | 0;
    h[7] = ((h[7] as number) + k) | 0;
  }
  return h;
}

type NativeHash = { createHash(algorithm: string): { update(data: Uint8Array): { digest(encoding: "hex"): string } } };
let native: NativeHash | null = null;

/** The runtime's `node:crypto` (Node, Bun, Deno), loaded at the first large input. */
function nativeHash(): NativeHash {
  native ??= (globalThis as unknown as { process: { getBuiltinModule(id: string): NativeHash } }).process.getBuiltinModule("node:crypto");
  return native;
}

/** SHA-256 of `data` (a text is hashed as UTF-8) as 64 lowercase hex digits. */
export function sha256Hex(data: string | Uint8Array): string {
  const bytes = bytesOf(data);
  scriptBytes += bytes.length;
  if (native !== null || bytes.length > NATIVE_HASH_MIN_BYTES || scriptBytes > SCRIPT_HASH_BUDGET_BYTES) {
    return nativeHash().createHash("sha256").update(bytes).digest("hex");
  }
  return scriptSha256Hex(bytes);
}

/** The JavaScript digest alone, whatever the size (exported for the test that holds it to the native one). */
export function scriptSha256Hex(bytes: Uint8Array): string {
  let hex = "";
  for (const word of digestWords(bytes)) hex += wordHex(word);
  return hex;
}

/** `sha256:<hex>` of `data`: the form recorded in manifests and cache entries. */
export function sha256Of(data: string | Uint8Array): string {
  return `sha256:${sha256Hex(data)}`;
}

/**
 * Whether two texts are equal, in a time that does not depend on where they differ: their digests (always 64 digits)
 * are compared in full. For secrets such as resume tokens.
 */
export function digestsMatch(given: string, expected: string): boolean {
  const a = sha256Hex(given);
  const b = sha256Hex(expected);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
