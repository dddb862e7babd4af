import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { computeActivity, readActivity } from "../../src/run/activity.ts";
import { scratchDir } from "../helpers/cli.ts";

const T0 = Date.parse("2025-01-01T00:00:00.000Z");
const m = (status: string, heartbeat_at: string | null) => ({ status, heartbeat_at, heartbeat_stale_after_seconds: 30 });

test("age counts from the newer of .heartbeat and heartbeat_at", () => {
  const a = computeActivity(m("in_progress", "2025-01-01T00:00:00.000Z"), "2025-01-01T00:00:10.000Z\n", T0 + 12_500);
  expect(a).toEqual({ stale: false, age_seconds: 2.5 });
  const b = computeActivity(m("in_progress", "2025-01-01T00:00:10.000Z"), "2025-01-01T00:00:00.000Z\n", T0 + 12_500);
  expect(b.age_seconds).toBe(2.5);
});

test("stale only for queued/in_progress past the threshold", () => {
  expect(computeActivity(m("in_progress", "2025-01-01T00:00:00.000Z"), null, T0 + 31_000).stale).toBe(true);
  expect(computeActivity(m("queued", "2025-01-01T00:00:00.000Z"), null, T0 + 31_000).stale).toBe(true);
  expect(computeActivity(m("in_progress", "2025-01-01T00:00:00.000Z"), null, T0 + 30_000).stale).toBe(false);
  expect(computeActivity(m("failed", "2025-01-01T00:00:00.000Z"), null, T0 + 99_000).stale).toBe(false);
});

test("no readable heartbeat → age null, not stale; a clock behind the heartbeat gives age 0", () => {
  expect(computeActivity(m("in_progress", null), "garbage", T0)).toEqual({ stale: false, age_seconds: null });
  expect(computeActivity(m("in_progress", "2025-01-01T00:00:10.000Z"), null, T0).age_seconds).toBe(0);
});

test("readActivity reads the .heartbeat file; a missing file counts as absent", async () => {
  const dir = scratchDir();
  const file = join(dir, ".heartbeat");
  expect(await readActivity(m("in_progress", null), file, () => T0)).toEqual({ stale: false, age_seconds: null });
  writeFileSync(file, "2025-01-01T00:00:00.000Z\n");
  expect(await readActivity(m("in_progress", null), file, () => T0 + 40_000)).toEqual({ stale: true, age_seconds: 40 });
});
