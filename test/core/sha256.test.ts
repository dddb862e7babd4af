import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { NATIVE_HASH_MIN_BYTES, digestsMatch, scriptSha256Hex, sha256Hex, sha256Of } from "../../src/core/sha256.ts";

const reference = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 7 + (i >> 3)) & 255);

describe("sha256", () => {
  test("FIPS 180-4 example vectors", () => {
    expect(scriptSha256Hex(new TextEncoder().encode("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  test("the JavaScript digest is the native one at every padding boundary and on UTF-8 text", () => {
    // 0…200 bytes cover one, two and three blocks and every position of the length field.
    for (let n = 0; n <= 200; n++) expect(scriptSha256Hex(bytes(n, n))).toBe(reference(bytes(n, n)));
    for (const n of [1000, NATIVE_HASH_MIN_BYTES, 70_000]) expect(scriptSha256Hex(bytes(n, 3))).toBe(reference(bytes(n, 3)));
    for (const text of ["é", "héllo ✓ 🌍", "a\0b", "\u{10ffff}".repeat(40)]) {
      const utf8 = Buffer.from(text, "utf8");
      expect(scriptSha256Hex(utf8)).toBe(reference(utf8));
      expect(sha256Hex(text)).toBe(reference(utf8));
    }
  });

  test("large inputs (hashed natively) give the same digests, and so do short ones after them", () => {
    for (const n of [NATIVE_HASH_MIN_BYTES + 1, 200_000]) expect(sha256Hex(bytes(n, 5))).toBe(reference(bytes(n, 5)));
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  test("sha256Of tags the digest; digestsMatch compares texts by their digests", () => {
    expect(sha256Of("abc")).toBe("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(digestsMatch("token", "token")).toBe(true);
    expect(digestsMatch("token", "tokem")).toBe(false);
    expect(digestsMatch("short", "a".repeat(64))).toBe(false);
  });
});
