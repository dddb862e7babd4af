import { Buffer } from "node:buffer";
import { open } from "node:fs/promises";

/** The end of one stream of one attempt, as bytes (decoded only when rendered). */
export type StreamTail = {
  bytes: Uint8Array;
  /** Output of this stream that came before `bytes` and is not shown (the tail is bounded). */
  omittedBytes: number;
};

/** The tails of one attempt of the stage's last execution. */
export type AttemptTails = { attempt: number; stdout: StreamTail; stderr: StreamTail };

export type TailsResult = {
  /** Oldest attempt first. */
  attempts: AttemptTails[];
  /** The scan stopped at `maxScanBytes` before reaching the start of the last execution: earlier output not looked at. */
  scanIncomplete: boolean;
};

export type TailLimits = {
  /** Bytes kept per stream and attempt. */
  maxBytes: number;
  /** Bytes of the log read backwards at most (a stage may have logged up to `--max-output-bytes`). */
  maxScanBytes: number;
};

export const DEFAULT_TAIL_LIMITS: TailLimits = { maxBytes: 8 * 1024, maxScanBytes: 32 * 1024 * 1024 };

const BLOCK = 256 * 1024;
const NEWLINE = 0x0a;
const CHUNK_HEAD = Buffer.from('{"type":"exec:chunk"');
const BEGIN_HEAD = Buffer.from('{"type":"exec:begin"');
const START_HEAD = Buffer.from('{"type":"command:start"');
const STDERR_FIELD = Buffer.from('"stream":"stderr"');

type Collecting = { attempt: number | null; stdout: Uint8Array[]; stderr: Uint8Array[]; kept: { stdout: number; stderr: number }; omitted: { stdout: number; stderr: number } };

const fresh = (): Collecting => ({ attempt: null, stdout: [], stderr: [], kept: { stdout: 0, stderr: 0 }, omitted: { stdout: 0, stderr: 0 } });

/**
 * The stdout and stderr tails of each attempt of a stage's last execution, read from the end of its
 * `commands/NN-<slug>.ndjson` (`exec:chunk` lines, SPEC §9.7 as changed by issue 22.12): only the lines needed are
 * parsed, so a stage that logged hundreds of megabytes costs no more than `maxScanBytes` of reading. A missing log
 * has no tails.
 */
export async function readOutputTails(path: string, limits: TailLimits = DEFAULT_TAIL_LIMITS): Promise<TailsResult> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { attempts: [], scanIncomplete: false };
    throw error;
  }
  const done: AttemptTails[] = [];
  let current = fresh();
  const finish = () => {
    if (current.attempt !== null || current.stdout.length > 0 || current.stderr.length > 0) {
      done.unshift({
        attempt: current.attempt ?? 1,
        stdout: { bytes: Buffer.concat(current.stdout), omittedBytes: current.omitted.stdout },
        stderr: { bytes: Buffer.concat(current.stderr), omittedBytes: current.omitted.stderr },
      });
    }
    current = fresh();
  };
  try {
    const { size } = await handle.stat();
    let position = size;
    let carry: Buffer = Buffer.alloc(0);
    let scanned = 0;
    let reachedStart = false;
    while (position > 0 && !reachedStart) {
      if (scanned >= limits.maxScanBytes) break;
      const length = Math.min(BLOCK, position);
      position -= length;
      const block = Buffer.alloc(length);
      await handle.read(block, 0, length, position);
      scanned += length;
      const data = carry.length === 0 ? block : Buffer.concat([block, carry]);
      carry = Buffer.alloc(0);
      // Newest line first. The bytes before the block's first newline are the end of a line that starts in the
      // previous block (unless this is the start of the file): they wait for it.
      let end = data.length;
      for (;;) {
        const nl = end === 0 ? -1 : data.lastIndexOf(NEWLINE, end - 1);
        if (nl === -1) {
          if (position === 0) reachedStart = visitLine(data.subarray(0, end));
          else carry = Buffer.from(data.subarray(0, end));
          break;
        }
        if (visitLine(data.subarray(nl + 1, end))) {
          reachedStart = true;
          break;
        }
        end = nl;
      }
    }
    finish();
    return { attempts: done, scanIncomplete: !reachedStart && position > 0 };
  } finally {
    await handle.close();
  }

  /** One line, newest first; true at the `command:start` that opens the last execution. */
  function visitLine(line: Buffer): boolean {
    if (line.length === 0) return false;
    if (startsWith(line, CHUNK_HEAD)) {
      const stream = line.subarray(0, 240).includes(STDERR_FIELD) ? "stderr" : "stdout";
      const room = limits.maxBytes - current.kept[stream];
      const parsed = parseLine(line);
      if (parsed === null) return false;
      if (current.attempt === null && typeof parsed.attempt === "number") current.attempt = parsed.attempt;
      const bytes = chunkBytes(parsed);
      if (room <= 0) {
        current.omitted[stream] += bytes.length;
        return false;
      }
      const kept = bytes.length <= room ? bytes : bytes.subarray(bytes.length - room);
      current[stream].unshift(kept);
      current.kept[stream] += kept.length;
      current.omitted[stream] += bytes.length - kept.length;
      return false;
    }
    if (startsWith(line, BEGIN_HEAD)) {
      const parsed = parseLine(line);
      if (parsed !== null && typeof parsed.attempt === "number") current.attempt = parsed.attempt;
      finish();
      return false;
    }
    return startsWith(line, START_HEAD);
  }
}

function startsWith(line: Buffer, head: Buffer): boolean {
  return line.length >= head.length && line.compare(head, 0, head.length, 0, head.length) === 0;
}

function parseLine(line: Buffer): Record<string, unknown> | null {
  try {
    return JSON.parse(line.toString("utf8")) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** The raw bytes of a chunk line: its text as UTF-8, or its base64 (`encoding: "base64"`, output that is not UTF-8). */
function chunkBytes(line: Record<string, unknown>): Buffer {
  const data = typeof line.data === "string" ? line.data : "";
  return line.encoding === "base64" ? Buffer.from(data, "base64") : Buffer.from(data, "utf8");
}
