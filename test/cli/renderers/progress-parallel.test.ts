import { expect, test } from "bun:test";
import { Writable } from "node:stream";
import { OutputStream } from "../../../src/cli/output-stream.ts";
import { createProgressRenderer } from "../../../src/cli/renderers/progress.ts";
import { EventStream } from "../../../src/core/event-stream.ts";

const ESC = String.fromCharCode(27);

/**
 * A terminal emulator just good enough for the renderer: `\r`, `\n`, clear line (`2K`), cursor up (`nA`) and clear
 * to the end of the screen (`J`); colours are dropped. Returns the screen's lines.
 */
function screen(written: string): string[] {
  const lines: string[] = [""];
  let row = 0;
  const tokens = written.replace(new RegExp(`${ESC}\\[[0-9;]*m`, "g"), "").split(new RegExp(`(${ESC}\\[[0-9]*[AJK]|\\r|\\n)`));
  for (const t of tokens) {
    if (t === "\r") continue;
    if (t === "\n") {
      row += 1;
      lines[row] ??= "";
    } else if (t === `${ESC}[2K`) lines[row] = "";
    else if (t.endsWith("A") && t.startsWith(`${ESC}[`)) row -= Number(t.slice(2, -1) || 1);
    else if (t === `${ESC}[J`) lines.splice(row, lines.length - row, "");
    else lines[row] = (lines[row] ?? "") + t;
  }
  return lines.filter((l) => l !== "");
}

test("tty: one spinner line per running stage; a finished stage's line goes above the running ones (issue 17)", async () => {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const out = new OutputStream(() => sink as unknown as NodeJS.WriteStream);
  let clock = 0;
  const events = new EventStream();
  const progress = createProgressRenderer({ out, mode: "tty", now: () => clock });
  events.subscribe(progress.onEvent);
  const begin = (index: number, title: string) =>
    events.emit("stage:begin", { index, stageId: title, title, kind: "command", pipelineId: "p", runId: "r", parentRunId: null });
  const end = (index: number, status: string) =>
    events.emit("stage:end", { index, stageId: "x", status, exitCode: 0, summary: null, durationMs: 2000, pipelineId: "p", runId: "r" });
  await begin(1, "build");
  clock = 500;
  await begin(2, "lint");
  await begin(3, "test");
  await out.flush();
  let lines = screen(chunks.join(""));
  expect(lines.map((l) => l.replace(/^. /, "* "))).toEqual(["* build 500ms", "* lint 0ms", "* test 0ms"]);
  await end(2, "failed");
  await out.flush();
  lines = screen(chunks.join(""));
  expect(lines.map((l) => l.replace(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] /, "* "))).toEqual(["✖ lint 2.0s", "* build 500ms", "* test 0ms"]);
  await end(1, "succeeded");
  await end(3, "succeeded");
  await progress.finish();
  expect(screen(chunks.join(""))).toEqual(["✖ lint 2.0s", "✔ build 2.0s", "✔ test 2.0s"]);
});
