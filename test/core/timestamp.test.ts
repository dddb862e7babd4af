import { expect, test } from "bun:test";
import { isoTimestamp } from "../../src/core/timestamp.ts";

test("isoTimestamp is toISOString, also when the same millisecond is asked again or time goes back", () => {
  for (const ms of [0, 1_796_284_400_328, 1_796_284_400_328, 1_796_284_400_329, 1_796_284_400_000, 86_400_000 * 366]) {
    const date = new Date(ms);
    expect(isoTimestamp(date)).toBe(date.toISOString());
  }
});
