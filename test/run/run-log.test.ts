import { describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { RunLog } from "../../src/run/run-log.ts";
import { useTempDirs } from "./fixtures/temp.ts";

const tempDir = useTempDirs();

describe("run logs", () => {
  test("each stage line goes to runner.ndjson and commands/NN-<slug>.ndjson as {...fields, timestamp, index}", async () => {
    const dir = tempDir();
    const log = new RunLog(dir, () => new Date("2025-01-01T00:00:00.000Z"));
    const one = log.stage(1, "echo-ok");
    expect(one.path).toBe(join(dir, "commands/01-echo-ok.ndjson"));
    await one.append({ type: "command:start", command: "echo ok" });
    await one.append({ type: "exec:chunk", stream: "stdout", data: "ok\n" }, new Date("2025-01-01T00:00:01.000Z"));
    await one.close();
    const two = log.stage(2, "Second Stage");
    await two.append({ type: "command:end", exit_code: 0, signal: null, duration_ms: 5 });
    await log.close();
    const runner = readFileSync(join(dir, "runner.ndjson"), "utf8");
    expect(runner.split("\n")).toEqual([
      '{"type":"command:start","command":"echo ok","timestamp":"2025-01-01T00:00:00.000Z","index":1}',
      '{"type":"exec:chunk","stream":"stdout","data":"ok\\n","timestamp":"2025-01-01T00:00:01.000Z","index":1}',
      '{"type":"command:end","exit_code":0,"signal":null,"duration_ms":5,"timestamp":"2025-01-01T00:00:00.000Z","index":2}',
      "",
    ]);
    const lines = runner.split("\n");
    expect(readFileSync(join(dir, "commands/01-echo-ok.ndjson"), "utf8")).toBe(`${lines[0]}\n${lines[1]}\n`);
    expect(readFileSync(join(dir, "commands/02-Second-Stage.ndjson"), "utf8")).toBe(`${lines[2]}\n`);
  });

  test("lines reach the disk without an explicit flush (readers of a running log see them)", async () => {
    const dir = tempDir();
    const log = new RunLog(dir);
    await log.stage(1, "s").append({ type: "command:start", command: "x" });
    const deadline = Date.now() + 5000;
    let text = "";
    while (Date.now() < deadline) {
      try {
        text = readFileSync(join(dir, "runner.ndjson"), "utf8");
      } catch {}
      if (text !== "") break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(text).toContain('"command:start"');
    await log.close();
  });

  test("a rerun appends to the existing stage file", async () => {
    const dir = tempDir();
    for (let i = 0; i < 2; i += 1) {
      const log = new RunLog(dir);
      await log.stage(1, "s").append({ type: "command:start", command: `run ${i}` });
      await log.close();
    }
    expect(readFileSync(join(dir, "commands/01-s.ndjson"), "utf8").trim().split("\n").length).toBe(2);
    expect(readFileSync(join(dir, "runner.ndjson"), "utf8").trim().split("\n").length).toBe(2);
  });

  test("50 MB of output in 8 KiB chunks: every byte logged, memory bounded", async () => {
    const dir = tempDir();
    const log = new RunLog(dir);
    const stage = log.stage(1, "exec");
    const data = "a".repeat(8192);
    const total = 50_000_000;
    const chunks = Math.ceil(total / 8192);
    Bun.gc(true);
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    for (let i = 1; i <= chunks; i += 1) {
      const piece = i === chunks ? data.slice(0, total - (chunks - 1) * 8192) : data;
      const fields = { correlation_id: "c", attempt: 1, stream: "stdout", sequence: i, bytes: piece.length, data: piece };
      const wait1 = stage.append({ type: "exec:chunk", ...fields });
      if (wait1) await wait1;
      const wait2 = stage.append({ type: "command:stdout", data: piece });
      if (wait2) await wait2;
      if (i % 500 === 0) rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }
    await log.close();
    // Generous: the buffers hold a few hundred KiB; 100 MiB would mean the whole output was kept.
    expect(rssPeak - rssBefore).toBeLessThan(100 * 1024 * 1024);
    const size = statSync(join(dir, "commands/01-exec.ndjson")).size;
    expect(size).toBe(statSync(join(dir, "runner.ndjson")).size);
    const text = readFileSync(join(dir, "commands/01-exec.ndjson"), "utf8");
    let bytes = 0;
    let lines = 0;
    for (const line of text.split("\n")) {
      if (line === "") continue;
      const parsed = JSON.parse(line) as { type: string; bytes?: number; index: number };
      if (parsed.type === "exec:chunk") bytes += parsed.bytes ?? 0;
      lines += 1;
    }
    expect(lines).toBe(chunks * 2);
    expect(bytes).toBe(total);
  }, 60_000);
});
