import { describe, expect, test } from "bun:test";
import { UsageError } from "../../src/core/errors.ts";
import { firstSetting } from "../../src/core/setting-sources.ts";

const positive = (value: string | number) => (Number(value) > 0 ? Number(value) : null);

describe("firstSetting", () => {
  test("the first set source wins; unset and empty values are skipped", () => {
    expect(firstSetting(positive, "a positive number", [[undefined, "--flag"], ["", "ENV"], [3, "config /n"], [4, "user"]])).toBe(3);
    expect(firstSetting(positive, "a positive number", [["7", "--flag"], [3, "config /n"]])).toBe(7);
    expect(firstSetting(positive, "a positive number", [[undefined, "--flag"]])).toBeNull();
  });

  test("a bad value is a usage error naming where it came from, never skipped for a lower source", () => {
    const read = () => firstSetting(positive, "a positive number", [["-1", "ENV_NAME"], [3, "config /n"]]);
    expect(read).toThrow(UsageError);
    expect(read).toThrow("Invalid value for ENV_NAME: -1 (expected a positive number).");
  });
});
