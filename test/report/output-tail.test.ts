import { expect, test } from "bun:test";
import { join } from "node:path";
import { OutputChunk } from "../../src/exec/chunker.ts";
import { readOutputTails } from "../../src/report/output-tail.ts";
import { RunLog, type StageLog } from "../../src/run/run-log.ts";
import { scratchDir } from "../helpers/cli.ts";

/** A stage log written by the run log itself (the same writer a run uses). */
async function writeStage(build: (log: StageLog, chunk: (attempt: number, stream: "stdout" | "stderr", bytes: Uint8Array) => void) => void): Promise<string> {
  const dir = scratchDir("co-tail-");
  const log = new RunLog(dir);
  const stage = log.stage(1, "s");
  let sequence = 0;
  build(stage, (attempt, stream, bytes) => {
    const chunk = new OutputChunk(stream, bytes);
    sequence++;
    stage.appendChunk({ type: "exec:chunk", correlation_id: "c", attempt, stream, sequence, bytes: chunk.bytes }, chunk.json, chunk.encoding);
  });
  await log.close();
  return join(dir, "commands", "01-s.ndjson");
}

const text = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

test("the tails of each attempt of the last execution, bounded, across read blocks; base64 chunks as bytes", async () => {
  const path = await writeStage((log, chunk) => {
    // An earlier execution (before a resume): not part of the tails.
    log.append({ type: "command:start", command: "x" });
    log.append({ type: "exec:begin", correlation_id: "old", attempt: 1 });
    chunk(1, "stdout", text("old output\n"));
    log.append({ type: "exec:end", correlation_id: "old", attempt: 1 });
    log.append({ type: "command:end", exit_code: 1 });
    log.append({ type: "command:start", command: "x" });
    log.append({ type: "exec:begin", correlation_id: "c", attempt: 1 });
    chunk(1, "stderr", text("denied\n"));
    log.append({ type: "exec:end", correlation_id: "c", attempt: 1 });
    log.append({ type: "exec:retry", correlation_id: "c", attempt: 1, delay_ms: 250 });
    log.append({ type: "exec:begin", correlation_id: "c", attempt: 2 });
    // 600 KB of stdout in 8 KB chunks: lines cross the 256 KiB read blocks.
    for (let i = 0; i < 75; i++) chunk(2, "stdout", text(`${String(i).padStart(4, "0")}${"y".repeat(8187)}\n`));
    chunk(2, "stderr", new Uint8Array([0xff, 0xfe, 0x41]));
    chunk(2, "stdout", text("the end\n"));
    log.append({ type: "exec:end", correlation_id: "c", attempt: 2 });
    log.append({ type: "command:end", exit_code: 0 });
  });
  const tails = await readOutputTails(path, { maxBytes: 100, maxScanBytes: 64 * 1024 * 1024 });
  expect(tails.scanIncomplete).toBe(false);
  expect(tails.attempts.map((a) => a.attempt)).toEqual([1, 2]);
  const [first, second] = tails.attempts as [(typeof tails.attempts)[0], (typeof tails.attempts)[0]];
  expect(decode(first.stderr.bytes)).toBe("denied\n");
  expect(first.stdout.bytes.length).toBe(0);
  expect(second.stdout.bytes.length).toBe(100);
  expect(decode(second.stdout.bytes)).toEndWith(`${"y".repeat(8187)}\nthe end\n`.slice(-100));
  expect(second.stdout.omittedBytes).toBe(75 * 8192 + 8 - 100);
  expect(Array.from(second.stderr.bytes)).toEqual([0xff, 0xfe, 0x41]);
  expect(second.stderr.omittedBytes).toBe(0);
});

test("a huge log is read from its end only (maxScanBytes) and says so; a missing log has no tails", async () => {
  const path = await writeStage((log, chunk) => {
    log.append({ type: "command:start", command: "x" });
    log.append({ type: "exec:begin", correlation_id: "c", attempt: 1 });
    for (let i = 0; i < 200; i++) chunk(1, "stdout", text("z".repeat(8192)));
    log.append({ type: "exec:end", correlation_id: "c", attempt: 1 });
  });
  const tails = await readOutputTails(path, { maxBytes: 4096, maxScanBytes: 512 * 1024 });
  expect(tails.scanIncomplete).toBe(true);
  expect(tails.attempts.length).toBe(1);
  expect(decode((tails.attempts[0] as (typeof tails.attempts)[0]).stdout.bytes)).toBe("z".repeat(4096));
  expect(await readOutputTails(join(scratchDir(), "none.ndjson"))).toEqual({ attempts: [], scanIncomplete: false });
});
