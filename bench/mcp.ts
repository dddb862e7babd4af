/**
 * MCP benchmark (issue 19): the round trip of an MCP `exec` of `true` through `codex-orchestrator mcp` (the SDK's
 * client over stdio, the server up and warmed), against a bare spawn of `true` from the bench process, interleaved.
 * The run store is where the CLI would put it (`<repo>/.runs`, on the machine's disk); the same server with its run
 * store on tmpfs (`/dev/shm`, where fsync and rename cost nothing) is measured too, and so is one durable atomic
 * write (write + fsync + rename of a small file) on the disk: a run makes several, so on a slow disk they are most of
 * the figure.
 *
 *   bun run bench/mcp.ts [--n 200]
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { benchEnv, binaryPath, ensureBinary, median, percentile, round, scratch } from "./lib.ts";

export type McpBench = {
  n: number;
  /** MCP exec of `true`, round trip at the client, run store on disk. */
  execMs: number;
  execP95Ms: number;
  /** The same with the run store on tmpfs. */
  execTmpfsMs: number | null;
  /** Bare spawn of `true`. */
  trueMs: number;
  /** execMs − trueMs: what the MCP exec costs over the command itself. */
  overheadMs: number;
  overheadTmpfsMs: number | null;
  /** One write + fsync + rename of a 2 KiB file on the disk of the run store. */
  durableWriteMs: number;
  targetMs: number;
};

async function server(bin: string, cwd: string, env: Record<string, string>): Promise<Client> {
  const client = new Client({ name: "bench", version: "1" });
  await client.connect(new StdioClientTransport({ command: bin, args: ["mcp"], cwd, env, stderr: "ignore" }));
  return client;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function benchMcp(bin: string, n = 200): Promise<McpBench> {
  const s = scratch("bench-mcp-");
  const disk = join(s.dir, "repo");
  mkdirSync(disk);
  const shm = existsSync("/dev/shm") ? mkdtempSync("/dev/shm/bench-mcp-") : null;
  try {
    const onDisk = await server(bin, disk, benchEnv(s.home));
    const onTmpfs = shm === null ? null : await server(bin, disk, benchEnv(s.home, { CODEX_ORCHESTRATOR_RUNS_DIR: join(shm, "runs") }));
    const exec = (client: Client) => () => client.callTool({ name: "exec", arguments: { command: ["true"] } });
    const bare = async () => {
      const proc = Bun.spawn(["true"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
      await proc.exited;
    };
    let k = 0;
    const durable = async () => {
      k += 1;
      const tmp = join(disk, `.w${k}.tmp`);
      const fd = openSync(tmp, "w");
      writeSync(fd, "x".repeat(2048));
      fsyncSync(fd);
      closeSync(fd);
      renameSync(tmp, join(disk, "w.json"));
    };
    // Warm-up: the server's first calls load modules and compile.
    for (let i = 0; i < 30; i++) {
      await exec(onDisk)();
      if (onTmpfs !== null) await exec(onTmpfs)();
      await bare();
    }
    const a: number[] = [];
    const b: number[] = [];
    const c: number[] = [];
    const d: number[] = [];
    for (let i = 0; i < n; i++) {
      a.push(await timed(exec(onDisk)));
      if (onTmpfs !== null) b.push(await timed(exec(onTmpfs)));
      c.push(await timed(bare));
      if (i % 4 === 0) d.push(await timed(durable));
    }
    await onDisk.close();
    await onTmpfs?.close();
    const execMs = median(a);
    const trueMs = median(c);
    const execTmpfsMs = b.length === 0 ? null : median(b);
    return {
      n,
      execMs: round(execMs),
      execP95Ms: round(percentile(a, 95)),
      execTmpfsMs: execTmpfsMs === null ? null : round(execTmpfsMs),
      trueMs: round(trueMs),
      overheadMs: round(execMs - trueMs),
      overheadTmpfsMs: execTmpfsMs === null ? null : round(execTmpfsMs - trueMs),
      durableWriteMs: round(median(d)),
      targetMs: 5,
    };
  } finally {
    s.dispose();
    if (shm !== null) rmSync(shm, { recursive: true, force: true });
  }
}

export function formatMcp(r: McpBench): string {
  return [
    `MCP exec of true (round trip, ${r.n} calls): median ${r.execMs.toFixed(2)} ms, p95 ${r.execP95Ms.toFixed(2)} ms; bare true ${r.trueMs.toFixed(2)} ms`,
    `  overhead over the command: ${r.overheadMs.toFixed(2)} ms (target ≤ ${r.targetMs} ms)`,
    r.execTmpfsMs === null
      ? "  (no /dev/shm: the tmpfs variant was skipped)"
      : `  run store on tmpfs: ${r.execTmpfsMs.toFixed(2)} ms, overhead ${(r.overheadTmpfsMs ?? 0).toFixed(2)} ms`,
    `  one durable atomic write on the run store's disk: ${r.durableWriteMs.toFixed(2)} ms`,
  ].join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { n: { type: "string", default: "200" } } });
  const bin = binaryPath();
  await ensureBinary(bin);
  const r = await benchMcp(bin, Number(values.n));
  console.log(formatMcp(r));
  console.log(JSON.stringify({ bench: "mcp", ...r }));
}
