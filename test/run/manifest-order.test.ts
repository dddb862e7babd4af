// The manifest's key order (SPEC §8.1): objects out of order are rewritten in order, unknown keys kept after the known
// ones; objects already in order are not copied (a save at a stage's end leaves every earlier stage's entry as it is).
import { describe, expect, test } from "bun:test";
import type { Manifest } from "../../src/core/schemas/manifest.ts";
import { orderManifest } from "../../src/run/manifest-order.ts";

const asManifest = (value: unknown) => value as Manifest;

describe("orderManifest", () => {
  test("known keys first in the documented order, unknown ones after them, nested lists and objects too", () => {
    const m = asManifest({
      status: "in_progress",
      zz_future: 1,
      run_id: "r",
      version: 1,
      commands: [
        { status: "succeeded", index: 1, id: "a", extra: true },
        { index: 2, id: "b", status: "failed" },
      ],
      metrics: { commandLatencyMs: { max: 3, p50: 1, p95: 2 }, approvalReuse: 0 },
    });
    const out = orderManifest(m) as unknown as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(["version", "run_id", "status", "commands", "metrics", "zz_future"]);
    const commands = out.commands as Record<string, unknown>[];
    expect(Object.keys(commands[0] as object)).toEqual(["index", "id", "status", "extra"]);
    expect(Object.keys(commands[1] as object)).toEqual(["index", "id", "status"]);
    const metrics = out.metrics as Record<string, Record<string, unknown>>;
    expect(Object.keys(metrics)).toEqual(["approvalReuse", "commandLatencyMs"]);
    expect(Object.keys(metrics.commandLatencyMs as object)).toEqual(["p50", "p95", "max"]);
    // The input is left as it was.
    expect(Object.keys(m)).toEqual(["status", "zz_future", "run_id", "version", "commands", "metrics"]);
    expect(JSON.stringify(orderManifest(asManifest(out)))).toBe(JSON.stringify(out));
  });

  test("what is already in order is returned as it is; one entry out of order is the only one copied", () => {
    const first = { index: 1, id: "a", status: "succeeded" };
    const second = { status: "running", index: 2, id: "b" };
    const inOrder = asManifest({ version: 1, run_id: "r", status: "in_progress", commands: [first, { index: 2, id: "b", status: "running" }] });
    expect(orderManifest(inOrder)).toBe(inOrder);
    const m = asManifest({ version: 1, run_id: "r", status: "in_progress", commands: [first, second] });
    const out = orderManifest(m) as unknown as { commands: object[] };
    expect(out).not.toBe(m);
    expect(out.commands[0]).toBe(first);
    expect(out.commands[1]).not.toBe(second);
    expect(Object.keys(out.commands[1] as object)).toEqual(["index", "id", "status"]);
    expect((m as unknown as { commands: object[] }).commands[1]).toBe(second);
  });
});
