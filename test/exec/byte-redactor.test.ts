import { expect, test } from "bun:test";
import { ByteRedactor } from "../../src/exec/byte-redactor.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => Buffer.from(b).toString("latin1");

function feed(r: ByteRedactor, parts: (string | Uint8Array)[]): string {
  let out = "";
  for (const p of parts) out += dec(r.push(typeof p === "string" ? enc(p) : p));
  return out + dec(r.end());
}

test("replaces secrets inside one read and across reads", () => {
  expect(feed(new ByteRedactor(["hunter22"]), ["a hunter22 b hunter22"])).toBe("a *** b ***");
  expect(feed(new ByteRedactor(["hunter22"]), ["token=hun", "ter", "22!"])).toBe("token=***!");
});

test("holds back only a possible prefix, and releases it when it was not a secret", () => {
  const r = new ByteRedactor(["hunter22"]);
  expect(dec(r.push(enc("abc hunt")))).toBe("abc ");
  expect(dec(r.push(enc("ing")))).toBe("hunting");
  expect(dec(r.end())).toBe("");
  const tail = new ByteRedactor(["hunter22"]);
  expect(feed(tail, ["end with hun"])).toBe("end with hun");
});

test("secrets inside binary output are replaced at the byte level", () => {
  const bytes = new Uint8Array([0xff, ...enc("s3cret-X"), 0xfe]);
  const out = new ByteRedactor(["s3cret-X"]).push(bytes);
  expect([...out]).toEqual([0xff, ...enc("***"), 0xfe]);
});

test("no secrets: bytes pass through untouched", () => {
  const bytes = enc("anything");
  expect(new ByteRedactor([]).push(bytes)).toBe(bytes);
});
