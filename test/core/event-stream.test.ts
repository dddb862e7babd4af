import { afterEach, describe, expect, test } from "bun:test";
import { EventStream } from "../../src/core/event-stream.ts";
import { configureRedaction } from "../../src/core/redact.ts";
import type { OrchestratorEvent } from "../../src/core/schemas/events.ts";

afterEach(() => configureRedaction({}));

const retry = { attempt: 1, correlationId: "c", delayMs: 250, sandboxState: "sandboxed" as const, errorMessage: "denied", runId: "r" };

describe("EventStream (issue 16)", () => {
  test("every subscriber gets an event before any is waited for; the producer waits for all of them", async () => {
    const stream = new EventStream();
    const got: string[] = [];
    let releaseA: () => void = () => {};
    let releaseB: () => void = () => {};
    stream.subscribe((e) => {
      got.push(`a${e.seq}`);
      return new Promise<void>((resolve) => {
        releaseA = resolve;
      });
    });
    stream.subscribe((e) => {
      got.push(`b${e.seq}`);
      return new Promise<void>((resolve) => {
        releaseB = resolve;
      });
    });
    let done = false;
    const pending = stream.emit("exec:retry", retry).then(() => {
      done = true;
    });
    expect(got).toEqual(["a1", "b1"]);
    releaseA();
    await Promise.resolve();
    await Promise.resolve();
    expect(done).toBe(false);
    releaseB();
    await pending;
    expect(done).toBe(true);
  });

  test("a first subscriber completes the event before the others see it", async () => {
    const stream = new EventStream();
    const printed: unknown[] = [];
    stream.subscribe((e) => {
      printed.push((e.payload as { errorMessage: string }).errorMessage);
    });
    stream.subscribe(
      async (e: OrchestratorEvent) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        (e.payload as { errorMessage: string }).errorMessage = "completed";
      },
      { first: true },
    );
    await stream.emit("exec:retry", retry);
    expect(printed).toEqual(["completed"]);
  });

  test("fields are redacted once, when the event is stamped, for every subscriber; a value without secrets is not copied", async () => {
    const stream = new EventStream();
    const seen: OrchestratorEvent[] = [];
    stream.subscribe((e) => {
      seen.push(e);
    });
    const clean = { ...retry };
    const plain = await stream.emit("exec:retry", clean);
    expect(plain.payload).toBe(clean);
    configureRedaction({ API_KEY: "hunter22secret" });
    const event = await stream.emit("exec:retry", { ...retry, errorMessage: "curl -H 'x: hunter22secret' failed" });
    expect(event.payload).toMatchObject({ errorMessage: "curl -H 'x: ***' failed", delayMs: 250 });
    expect(seen.map((e) => e.seq)).toEqual([1, 2]);
  });
});
