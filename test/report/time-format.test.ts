import { expect, test } from "bun:test";
import { axisTicks, formatDurationMs, formatOffset } from "../../src/report/time-format.ts";

test("durations, tick labels and round tick steps", () => {
  expect([0, 350, 4200, 12_345, 187_000, 7_500_000].map(formatDurationMs)).toEqual(["0 ms", "350 ms", "4.20 s", "12.3 s", "3 m 07 s", "2 h 05 m"]);
  expect([0, 250, 1500, 120_000, 125_000, 5_400_000].map(formatOffset)).toEqual(["0", "250 ms", "1.5 s", "2 m", "2 m 5 s", "1 h 30 m"]);
  expect(axisTicks(2140)).toEqual([0, 500, 1000, 1500, 2000]);
  expect(axisTicks(459)).toEqual([0, 100, 200, 300, 400]);
  expect(axisTicks(3_600_000).length).toBeLessThanOrEqual(9);
});
