/**
 * Hostile output: a 10 MB line with no newline, random binary bytes, 100k short lines in a burst, and a reader that
 * closes stdout early (`| head -1`). Every byte reaches the log, chunks stay ≤ 8 KiB, the run is recorded, memory
 * stays bounded, nothing is left running.
 */
import { describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, checkStore, chunkBytes, jsonlEvents, leftovers, logChunks, newMarker, runCli, spawnCli, tortureEnv } from "./harness.ts";
import { tortureWorkspace } from "./workspace.ts";

const MiB = 1024 * 1024;
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** One exec in JSONL mode; checks what every case shares and returns the events and the run's log chunks. */
async function execJsonl(w: string, marker: string, command: string[], options: { peakRss?: boolean } = {}) {
  const env = tortureEnv(w, marker);
  const rssFile = join(w, "rss.txt");
  const argv = ["exec", "--jsonl", "--", ...command];
  const r = options.peakRss
    ? await spawnCli([], { cwd: w, env, command: ["/usr/bin/time", "-f", "%M", "-o", rssFile, CLI, ...argv] }).done
    : await runCli(argv, { cwd: w, env });
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
  const events = jsonlEvents(r.stdout);
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  const summary = events.at(-1) as (typeof events)[number];
  expect(summary.type).toBe("run:summary");
  const chunks = events.filter((e) => e.type === "exec:chunk").map((e) => e.payload);
  for (const c of chunks) expect(c.bytes as number).toBeLessThanOrEqual(8192);
  const run = summary.payload.run as { artifactRoot: string; id: string };
  const store = checkStore(join(w, ".runs"));
  expect(store.metrics.filter((l) => l.run_id === run.id)).toHaveLength(1);
  const log = logChunks(join(w, run.artifactRoot, "commands/01-exec.ndjson"));
  expect(await leftovers(marker)).toEqual([]);
  const peakKiB = options.peakRss ? Number(readFileSync(rssFile, "utf8").trim().split("\n").at(-1)) : null;
  return { events, summary, chunks, log, ms: r.ms, peakKiB };
}

describe("hostile output", () => {
  test("a 10 MB line without a newline: every byte in the events and the log, 64 KiB retained", async () => {
    const w = tortureWorkspace();
    const { summary, chunks, log, ms, peakKiB } = await execJsonl(
      w,
      newMarker(),
      ["sh", "-c", 'head -c 10485760 /dev/zero | tr "\\0" x'],
      { peakRss: true },
    );
    const expected = Buffer.alloc(10 * MiB, "x");
    expect(chunkBytes(chunks).equals(expected)).toBe(true);
    expect(chunkBytes(log).equals(expected)).toBe(true);
    expect((summary.payload.outputs as { stdout: string }).stdout).toBe("x".repeat(65536));
    console.log(`[torture] 10 MB line: ${Math.round(ms)} ms, peak RSS ${peakKiB} KiB, ${chunks.length} chunks`);
  }, 120_000);

  test("2 MB of random bytes: reassembled byte for byte from the events and from the log", async () => {
    const w = tortureWorkspace();
    const data = randomBytes(2 * MiB);
    writeFileSync(join(w, "random.bin"), data);
    const { chunks, log, ms } = await execJsonl(w, newMarker(), ["cat", "random.bin"]);
    expect(sha(chunkBytes(chunks))).toBe(sha(data));
    expect(sha(chunkBytes(log))).toBe(sha(data));
    expect(chunks.some((c) => c.encoding === "base64")).toBe(true);
    console.log(`[torture] 2 MB random bytes: ${Math.round(ms)} ms, ${chunks.length} chunks`);
  }, 120_000);

  test("100k short lines in a burst: all of them, in order, once", async () => {
    const w = tortureWorkspace();
    const { chunks, log, ms } = await execJsonl(w, newMarker(), ["seq", "1", "100000"]);
    const expected = Buffer.from(`${Array.from({ length: 100000 }, (_, i) => i + 1).join("\n")}\n`);
    expect(chunkBytes(chunks).equals(expected)).toBe(true);
    expect(chunkBytes(log).equals(expected)).toBe(true);
    console.log(`[torture] 100k lines: ${Math.round(ms)} ms, ${chunks.length} chunks`);
  }, 120_000);

  test("peak RSS stays ≤ 64 MiB with a 10 MB line (SPEC §14.4)", async () => {
    const w = tortureWorkspace();
    const { peakKiB } = await execJsonl(w, newMarker(), ["sh", "-c", 'head -c 10485760 /dev/zero | tr "\\0" x'], { peakRss: true });
    expect(peakKiB as number).toBeLessThanOrEqual(64 * 1024);
  }, 120_000);

  for (const [label, args] of [
    ["exec --jsonl", ["exec", "--jsonl", "--", "seq", "1", "300000"]],
    ["exec --json", ["exec", "--json", "--", "seq", "1", "300000"]],
    ["start --format jsonl", ["start", "flood", "--format", "jsonl"]],
  ] as const) {
    test(`stdout closed early by the reader (${label} | head -1): the run is still recorded`, async () => {
      const w = tortureWorkspace();
      const marker = newMarker();
      // bash: the CLI's own exit code comes back through PIPESTATUS.
      const line = `${CLI} ${args.join(" ")} | head -1; echo "cli-exit=\${PIPESTATUS[0]}" >&2`;
      const r = await spawnCli([], { cwd: w, env: tortureEnv(w, marker, { FLOOD_BYTES: "2000000" }), command: ["bash", "-c", line] }).done;
      expect(r.stdout.split("\n").filter((l) => l !== "")).toHaveLength(1);
      expect(r.stderr).toContain("cli-exit=0");
      const store = checkStore(join(w, ".runs"));
      expect(store.manifests).toHaveLength(1);
      const m = JSON.parse(readFileSync(store.manifests[0] as string, "utf8"));
      expect([m.status, m.metrics_recorded, m.run_summary_path !== null]).toEqual(["succeeded", true, true]);
      expect(store.metrics).toHaveLength(1);
      expect(await leftovers(marker)).toEqual([]);
    }, 60_000);
  }
});
