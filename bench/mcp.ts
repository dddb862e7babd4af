/**
 * MCP benchmark (issue 19): the round trip of an MCP `exec` of `true` through `codex-orchestrator mcp` (the SDK's
 * client over stdio, the server up and warmed), against a bare spawn of `true` from the bench process, interleaved.
 * The run store is where the CLI would put it (`<repo>/.runs`, on the machine's disk); the same server with its run
 * store on tmpfs (`/dev/shm`, where fsync and rename cost nothing) is measured too, and so is one durable atomic
 * write (write + fsync + rename of a small file) on the disk: a run makes several, so on a slow disk they are most of
 * the figure.
 *
 * The server's CPU time per call (all its threads, from /proc) is reported too: on a shared machine it varies less
 * than the wall time. Where Landlock is usable, a sandboxed call (`sandbox: "workspace-write"`) is timed too, through
 * the sandbox thread (src/exec/sandbox-thread.ts) and through the helper (`CODEX_ORCHESTRATOR_SANDBOX_THREAD=0`). `CODEX_ORCHESTRATOR_BENCH_BASELINE_BIN=<binary>` runs that binary's servers in the same
 * interleaved series, for a before/after in one run.
 *
 *   bun run bench/mcp.ts [--n 200] [--warmup 30]
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { probeLandlockAbi } from "../src/exec/landlock.ts";
import { benchEnv, binaryPath, ensureBinary, median, percentile, round, scratch } from "./lib.ts";

export type McpServerFigures = {
  /** MCP exec of `true`, round trip at the client, run store on disk: median and p95. */
  execMs: number;
  execP95Ms: number;
  /** The same with the run store on tmpfs. */
  execTmpfsMs: number | null;
  /** execMs − trueMs: what the MCP exec costs over the command itself. */
  overheadMs: number;
  overheadTmpfsMs: number | null;
  /** CPU time of the server process (all its threads, not its children) per call, run store on disk. */
  serverCpuMs: number | null;
};

export type McpBench = McpServerFigures & {
  n: number;
  warmup: number;
  /** Bare spawn of `true`. */
  trueMs: number;
  /** One write + fsync + rename of a 2 KiB file on the disk of the run store. */
  durableWriteMs: number;
  targetMs: number;
  /** `CODEX_ORCHESTRATOR_BENCH_BASELINE_BIN`: the same figures for that binary, in the same interleaved series. */
  baseline?: McpServerFigures & { bin: string };
  /**
   * A call with `sandbox: "workspace-write"` (run store on disk): its median through the sandbox thread and through
   * the helper, and what each adds over the unsandboxed call. Absent without Landlock ABI ≥ 3.
   */
  sandboxed?: { threadMs: number; helperMs: number; addedMs: number; addedHelperMs: number };
};

type Server = { client: Client; pid: number | null };

async function server(bin: string, cwd: string, env: Record<string, string>): Promise<Server> {
  const client = new Client({ name: "bench", version: "1" });
  const transport = new StdioClientTransport({ command: bin, args: ["mcp"], cwd, env, stderr: "ignore" });
  await client.connect(transport);
  return { client, pid: transport.pid };
}

/** User + system CPU time of a process, all threads, in ms (Linux /proc; null elsewhere). */
function cpuMs(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
const CLOCK_TICKS = 100;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

type Series = { disk: Server; tmpfs: Server | null; a: number[]; b: number[]; cpu0: number | null };

function figures(s: Series, trueMs: number, n: number): McpServerFigures {
  const execMs = median(s.a);
  const execTmpfsMs = s.b.length === 0 ? null : median(s.b);
  const cpu1 = cpuMs(s.disk.pid);
  return {
    execMs: round(execMs),
    execP95Ms: round(percentile(s.a, 95)),
    execTmpfsMs: execTmpfsMs === null ? null : round(execTmpfsMs),
    overheadMs: round(execMs - trueMs),
    overheadTmpfsMs: execTmpfsMs === null ? null : round(execTmpfsMs - trueMs),
    serverCpuMs: s.cpu0 === null || cpu1 === null ? null : round((cpu1 - s.cpu0) / n),
  };
}

export async function benchMcp(bin: string, n = 200, warmup = 30, baselineBin = process.env.CODEX_ORCHESTRATOR_BENCH_BASELINE_BIN): Promise<McpBench> {
  const s = scratch("bench-mcp-");
  const disk = join(s.dir, "repo");
  mkdirSync(disk);
  const shm = existsSync("/dev/shm") ? mkdtempSync("/dev/shm/bench-mcp-") : null;
  try {
    const open = async (b: string, tag: string): Promise<Series> => ({
      disk: await server(b, disk, benchEnv(s.home)),
      tmpfs: shm === null ? null : await server(b, disk, benchEnv(s.home, { CODEX_ORCHESTRATOR_RUNS_DIR: join(shm, `runs-${tag}`) })),
      a: [],
      b: [],
      cpu0: null,
    });
    const series = [await open(bin, "new")];
    if (baselineBin !== undefined && baselineBin !== "") series.push(await open(baselineBin, "base"));
    const exec = (server: Server) => () => server.client.callTool({ name: "exec", arguments: { command: ["true"] } });
    const landlock = probeLandlockAbi({}).abi >= 3;
    const boxed = landlock
      ? { thread: await server(bin, disk, benchEnv(s.home)), helper: await server(bin, disk, benchEnv(s.home, { CODEX_ORCHESTRATOR_SANDBOX_THREAD: "0" })) }
      : null;
    const boxedExec = (server: Server) => () => server.client.callTool({ name: "exec", arguments: { command: ["true"], sandbox: "workspace-write" } });
    const boxedTimes = { thread: [] as number[], helper: [] as number[] };
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
    for (let i = 0; i < warmup; i++) {
      for (const x of series) {
        await exec(x.disk)();
        if (x.tmpfs !== null) await exec(x.tmpfs)();
      }
      if (boxed !== null) {
        await boxedExec(boxed.thread)();
        await boxedExec(boxed.helper)();
      }
      await bare();
    }
    for (const x of series) x.cpu0 = cpuMs(x.disk.pid);
    const c: number[] = [];
    const d: number[] = [];
    for (let i = 0; i < n; i++) {
      for (const x of series) {
        x.a.push(await timed(exec(x.disk)));
        if (x.tmpfs !== null) x.b.push(await timed(exec(x.tmpfs)));
      }
      if (boxed !== null) {
        boxedTimes.thread.push(await timed(boxedExec(boxed.thread)));
        boxedTimes.helper.push(await timed(boxedExec(boxed.helper)));
      }
      c.push(await timed(bare));
      if (i % 4 === 0) d.push(await timed(durable));
    }
    const trueMs = median(c);
    const [current, base] = series.map((x) => figures(x, trueMs, n));
    for (const x of series) {
      await x.disk.client.close();
      await x.tmpfs?.client.close();
    }
    await boxed?.thread.client.close();
    await boxed?.helper.client.close();
    const cur = current as McpServerFigures;
    const sandboxed =
      boxed === null
        ? undefined
        : {
            threadMs: round(median(boxedTimes.thread)),
            helperMs: round(median(boxedTimes.helper)),
            addedMs: round(median(boxedTimes.thread) - cur.execMs),
            addedHelperMs: round(median(boxedTimes.helper) - cur.execMs),
          };
    return {
      n,
      warmup,
      ...(current as McpServerFigures),
      trueMs: round(trueMs),
      durableWriteMs: round(median(d)),
      targetMs: 5,
      ...(base === undefined ? {} : { baseline: { bin: baselineBin as string, ...base } }),
      ...(sandboxed === undefined ? {} : { sandboxed }),
    };
  } finally {
    s.dispose();
    if (shm !== null) rmSync(shm, { recursive: true, force: true });
  }
}

export function formatMcp(r: McpBench): string {
  const lines = (f: McpServerFigures, who: string) => [
    `${who}MCP exec of true (round trip, ${r.n} calls after ${r.warmup}): median ${f.execMs.toFixed(2)} ms, p95 ${f.execP95Ms.toFixed(2)} ms; bare true ${r.trueMs.toFixed(2)} ms`,
    `  overhead over the command: ${f.overheadMs.toFixed(2)} ms (target ≤ ${r.targetMs} ms)` +
      (f.serverCpuMs === null ? "" : `; server CPU ${f.serverCpuMs.toFixed(2)} ms per call`),
    f.execTmpfsMs === null
      ? "  (no /dev/shm: the tmpfs variant was skipped)"
      : `  run store on tmpfs: ${f.execTmpfsMs.toFixed(2)} ms, overhead ${(f.overheadTmpfsMs ?? 0).toFixed(2)} ms`,
  ];
  return [
    ...lines(r, ""),
    ...(r.baseline === undefined ? [] : lines(r.baseline, `baseline ${r.baseline.bin}: `)),
    `  one durable atomic write on the run store's disk: ${r.durableWriteMs.toFixed(2)} ms`,
    ...(r.sandboxed === undefined
      ? []
      : [
          `  sandboxed call (workspace-write): ${r.sandboxed.threadMs.toFixed(2)} ms through the sandbox thread (+${r.sandboxed.addedMs.toFixed(2)} ms), ${r.sandboxed.helperMs.toFixed(2)} ms through the helper (+${r.sandboxed.addedHelperMs.toFixed(2)} ms)`,
        ]),
  ].join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { n: { type: "string", default: "200" }, warmup: { type: "string", default: "30" } } });
  const bin = binaryPath();
  await ensureBinary(bin);
  const r = await benchMcp(bin, Number(values.n), Number(values.warmup));
  console.log(formatMcp(r));
  console.log(JSON.stringify({ bench: "mcp", ...r }));
}
