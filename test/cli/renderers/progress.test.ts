import { describe, expect, test } from "bun:test";
import { Writable } from "node:stream";
import { OutputStream } from "../../../src/cli/output-stream.ts";
import { createProgressRenderer, formatElapsed } from "../../../src/cli/renderers/progress.ts";
import { EventStream } from "../../../src/core/event-stream.ts";
import { waitFor } from "../../helpers/wait.ts";

const ESC = String.fromCharCode(27);
const ANSI = new RegExp(`${ESC}\\[[0-9;]*[A-Za-z]`, "g");

function capture(): { out: OutputStream; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { out: new OutputStream(() => sink as unknown as NodeJS.WriteStream), text: () => chunks.join("") };
}

async function drive(
  events: EventStream,
  stages: [string, string, string, "succeeded" | "failed" | "skipped"][],
  whileRunning: (stageId: string) => Promise<void> = async () => undefined,
) {
  // [runId, stageId, title, final status]: a child run's stages sit between its parent's begin and end.
  const begin = (runId: string, index: number, id: string, title: string, kind: "command" | "subpipeline" = "command") =>
    events.emit("stage:begin", { index, stageId: id, title, kind, pipelineId: "p", runId });
  const end = (runId: string, index: number, id: string, status: string) =>
    events.emit("stage:end", { index, stageId: id, status, exitCode: 0, summary: null, durationMs: 1234, pipelineId: "p", runId });
  await begin("top", 1, "sub", "Sub", "subpipeline");
  for (const [i, [runId, id, title, status]] of stages.entries()) {
    await begin(runId, i + 1, id, title);
    await whileRunning(id);
    await end(runId, i + 1, id, status);
  }
  await end("top", 1, "sub", "succeeded");
}

describe("progress renderer", () => {
  test("tty: spinner with elapsed time, a final mark per stage, child stages indented", async () => {
    const { out, text } = capture();
    const events = new EventStream();
    let clock = 0;
    const progress = createProgressRenderer({ out, mode: "tty", now: () => clock });
    events.subscribe(progress.onEvent);
    // While Build runs, the spinner moves on a frame and redraws the elapsed time from the clock.
    const spinning = async (stageId: string) => {
      if (stageId !== "a") return;
      clock = 250;
      await waitFor(() => text().includes(`⠙${ESC}[39m Build ${ESC}[2m250ms`));
    };
    await drive(events, [["child", "a", "Build", "succeeded"], ["child", "b", "Test", "failed"], ["child", "c", "Lint", "skipped"]], spinning);
    await progress.finish();
    const written = text();
    expect(written).toContain(`⠋${ESC}[39m Build ${ESC}[2m0ms`);
    const plain = written.replace(ANSI, "");
    const finals = plain.split(/[\r\n]/).filter((l) => /^\s*[✔✖○▸]/.test(l));
    // An allowed failure (`skipped` in the event) reads `failed (allowed)`.
    expect(finals).toEqual(["▸ Sub", "  ✔ Build 1.2s", "  ✖ Test 1.2s", "  ○ Lint failed (allowed) 1.2s", "✔ Sub 1.2s"]);
    expect(written.endsWith("\n") || written.endsWith("\r\x1b[2K")).toBe(true);
  });

  test("plain: one line when a stage starts and one when it ends", async () => {
    const { out, text } = capture();
    const events = new EventStream();
    const progress = createProgressRenderer({ out, mode: "plain" });
    events.subscribe(progress.onEvent);
    await drive(events, [["child", "a", "Build", "skipped"]]);
    await progress.finish();
    expect(text()).toBe("▸ Sub\n  ▸ Build\n  failed (allowed) Build (1.2s)\nok Sub (1.2s)\n");
  });

  test("elapsed time formats", () => {
    expect([formatElapsed(12), formatElapsed(1500), formatElapsed(61_000)]).toEqual(["12ms", "1.5s", "1m1s"]);
  });
});
