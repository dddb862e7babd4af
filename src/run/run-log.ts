import { stat } from "node:fs/promises";
import { relative } from "node:path";
import { errorMessage } from "../core/errors.ts";
import { appendSummary } from "../core/summary.ts";
import { isoTimestamp } from "../core/timestamp.ts";
import { AppendFile } from "./append-file.ts";
import type { ManifestStore } from "./manifest-store.ts";
import { commandLogPath, runFiles } from "./paths.ts";

/** The first write of a run's store (a log line, the manifest, a record) that failed for good, and its file. */
export type StoreFault = { error: unknown; path: string };

/** A log cut back to free disk space: its size before and after (a line boundary). */
export type LogCut = { path: string; from: number; to: number };

/** The least a reclaim cuts from the run's logs (issue 10, B2). */
export const RECLAIM_MIN_BYTES = 64 * 1024;

/**
 * `ENOSPC: no space left on device (<path>)`: the OS message without its `, <syscall> '<path>'` tail (Node's form,
 * which names no path for `write`), then the file that could not be written.
 */
export function storeFaultText(fault: StoreFault): string {
  const error = fault.error as { code?: unknown; syscall?: unknown } | null;
  let message = errorMessage(fault.error);
  if (typeof error?.code === "string" && typeof error.syscall === "string" && message.startsWith(`${error.code}:`)) {
    const tail = message.indexOf(`, ${error.syscall}`);
    if (tail !== -1) message = message.slice(0, tail);
  }
  return `${message} (${fault.path})`;
}

/** The one stderr line of a run whose store could not be written (exit 1, SPEC §4.4). */
export function storeFaultLine(runsDir: string, fault: StoreFault): string {
  return `Cannot write the run store under ${runsDir}: ${storeFaultText(fault)}`;
}

/** Fields of one log line, `type` first (SPEC §9.7); `timestamp` and `index` are added by the log. */
export type LogFields = { type: string } & Record<string, unknown>;

/** A log line's `timestamp`: an event's own (already ISO), or a time. */
const stamp = (at: Date | string): string => (typeof at === "string" ? at : isoTimestamp(at));

/** Reused encoding buffer: `writeBytes` copies what it is given before returning, so one buffer serves every line. */
let scratch = new Uint8Array(16 * 1024);
const encoder = new TextEncoder();

/** `line` as UTF-8 in the scratch buffer (valid until the next call). */
function encodeLine(line: string): Uint8Array {
  for (;;) {
    const { read, written } = encoder.encodeInto(line, scratch);
    if (read === line.length) return scratch.subarray(0, written);
    scratch = new Uint8Array(Math.max(scratch.byteLength * 2, line.length * 3));
  }
}

/** One promise for two writes that may each return one (undefined when neither has to be waited for). */
export const both = (a: Promise<void> | undefined, b: Promise<void> | undefined): Promise<void> | undefined =>
  a === undefined ? b : b === undefined ? a : Promise.all([a, b]).then(() => {});

/** The default of `--max-output-bytes`: the output one run may leave in its logs (issue 22.12). */
export const DEFAULT_MAX_OUTPUT_BYTES = 512 * 1024 * 1024;

/** The output budget of one run's logs, shared by its stages. */
export type OutputBudget = { limit: number; used: number; dropped: number };

/** The summary line of a run whose logs reached `--max-output-bytes`, or null when nothing was dropped. */
export function outputDroppedLine(budget: OutputBudget): string | null {
  if (budget.dropped === 0) return null;
  return `Output over the ${budget.limit}-byte log limit (--max-output-bytes) was not recorded: ${budget.dropped} bytes dropped.`;
}

/**
 * The log of one stage: each line goes to `runner.ndjson` and to `commands/NN-<slug>.ndjson`, except output chunks,
 * which only the stage's file holds (issue 22.12: one copy of the output on disk, not four).
 */
export class StageLog {
  private truncated = false;

  constructor(
    readonly index: number,
    private readonly runner: AppendFile,
    private readonly file: AppendFile,
    private readonly clock: () => Date,
    private readonly budget: OutputBudget = { limit: Number.POSITIVE_INFINITY, used: 0, dropped: 0 },
  ) {}

  /** Absolute path of `commands/NN-<slug>.ndjson`. */
  get path(): string {
    return this.file.path;
  }

  /**
   * Appends `{...fields, timestamp, index}` (compact, this key order) to both files. Returns a promise when the
   * buffers are full; a producer of bulk output awaits it, which keeps memory bounded. The fields come redacted
   * (from the event stream, or redacted by the recorder): the log writes what it is given.
   */
  append(fields: LogFields, at: Date | string = this.clock()): Promise<void> | undefined {
    return this.writeLine(`${JSON.stringify({ ...fields, timestamp: stamp(at), index: this.index })}\n`);
  }

  /**
   * Appends the line of one output chunk, `{...head, data, encoding?, timestamp, index}`, to the stage's file. `data`
   * arrives as bytes already escaped for JSON (`ChunkBytes.json`: the same bytes the JSONL printer writes), so 8 KiB
   * of output is copied into the buffer, never turned into a string. The data bytes were redacted before they were
   * chunked (`OutputSink`) and the head holds ids and counts only. Past the run's output budget chunks are dropped
   * (counted), after one `output:truncated` line in both files.
   */
  appendChunk(
    head: LogFields & { stream: "stdout" | "stderr"; bytes?: number },
    json: Uint8Array,
    encoding: string | undefined,
    at: Date | string = this.clock(),
  ): Promise<void> | undefined {
    const size = typeof head.bytes === "number" ? head.bytes : json.byteLength;
    if (this.budget.used + size > this.budget.limit) {
      this.budget.dropped += size;
      if (this.truncated) return undefined;
      this.truncated = true;
      return this.append({ type: "output:truncated", stream: head.stream, limit_bytes: this.budget.limit, sequence: head.sequence }, at);
    }
    this.budget.used += size;
    const enc = encoding === undefined ? "" : `,"encoding":${JSON.stringify(encoding)}`;
    const tail = `"${enc},"timestamp":"${stamp(at)}","index":${this.index}}\n`;
    return this.file.writeParts([`${JSON.stringify(head).slice(0, -1)},"data":"`, json, tail]);
  }

  /** Encodes the line once and hands the same bytes to both files (each copies them). */
  private writeLine(line: string): Promise<void> | undefined {
    const bytes = encodeLine(line);
    return both(this.runner.writeBytes(bytes), this.file.writeBytes(bytes));
  }

  /** Flushes and closes this stage's file (the runner log stays open). */
  async close(): Promise<void> {
    await Promise.all([this.file.close(), this.runner.flush()]);
  }

  /**
   * Starts closing this stage's file without waiting for the disk: the next stage need not wait (about 1 ms per stage,
   * measured). `RunLog.close()` waits for it and rejects with its error, if any.
   */
  closeInBackground(): void {
    this.file.close().catch(() => {});
  }
}

/**
 * Writers of one run's `runner.ndjson` and its per-stage logs (SPEC §7.1, §9.7).
 *
 * A run whose store cannot be written cannot be recorded honestly (issue 10, B2). The first failure — a log write
 * (reported by its file, already cut back to its last complete line) or a manifest save reported through `fail()` —
 * becomes the run's `failure`: every log file stops (the logs keep whole lines only, and stay consistent with each
 * other), and the listeners are told (the stage runner cancels the running command and fails the stage).
 */
export class RunLog {
  private readonly runner: AppendFile;
  private readonly stages = new Set<AppendFile>();
  /** Every file this log opened, closed ones included: what `freeSpace` may cut. */
  private readonly files: AppendFile[] = [];
  private fault: StoreFault | null = null;
  /** What the run's stages may still log of their output (`--max-output-bytes`). */
  readonly output: OutputBudget;
  private readonly listeners = new Set<(fault: StoreFault) => void>();

  constructor(
    readonly runDir: string,
    options: { clock?: () => Date; maxOutputBytes?: number } = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.output = { limit: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES, used: 0, dropped: 0 };
    this.runner = this.open(runFiles(runDir).runnerLog);
  }

  private readonly clock: () => Date;

  private open(path: string): AppendFile {
    const file = new AppendFile(path, (error) => this.fail(error, path));
    this.files.push(file);
    return file;
  }

  /** The run's first store fault, if any. */
  get failure(): StoreFault | null {
    return this.fault;
  }

  /** Records the run's store fault (the first one wins): every log file stops and the listeners are told. */
  fail(error: unknown, path: string): void {
    if (this.fault !== null) return;
    this.fault = { error, path };
    for (const file of this.files) file.stop();
    for (const listener of this.listeners) listener(this.fault);
  }

  /** `warn`, silent once the run's store has failed: the one line reporting the fault would only be repeated. */
  quiet(warn: (line: string) => void): (line: string) => void {
    return (line) => {
      if (this.fault === null) warn(line);
    };
  }

  /** `write`, whose failure is tolerated (null) once the run's store fault is recorded: the run goes on to finalize. */
  tolerate<T>(write: Promise<T>): Promise<T | null> {
    return write.catch((error) => {
      if (this.fault === null) throw error;
      return null;
    });
  }

  /** Calls `listener` on the run's store fault; returns the function that removes it. */
  onFailure(listener: (fault: StoreFault) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Frees at least `minBytes` (when the logs hold that much) by cutting the biggest log files back to a line
   * boundary, so that the run can still be finalized on a full disk. Every file stops first. Returns the cuts made.
   */
  async freeSpace(minBytes: number): Promise<LogCut[]> {
    for (const file of this.files) file.stop();
    const unique = [...new Map(this.files.map((f) => [f.path, f])).values()];
    const sized = await Promise.all(unique.map(async (file) => ({ file, size: await stat(file.path).then((s) => s.size, () => 0) })));
    sized.sort((a, b) => b.size - a.size);
    const cuts: LogCut[] = [];
    let freed = 0;
    for (const { file, size } of sized) {
      if (freed >= minBytes || size === 0) break;
      const cut = await file.cutBack(minBytes - freed).catch(() => null);
      if (cut === null || cut.to === cut.from) continue;
      cuts.push({ path: file.path, ...cut });
      freed += cut.from - cut.to;
    }
    return cuts;
  }

  get runnerPath(): string {
    return this.runner.path;
  }

  /** Opens the log of stage `index` (1-based). A rerun (resume) appends to the existing file. */
  stage(index: number, stageId: string): StageLog {
    const file = this.open(commandLogPath(this.runDir, index, stageId));
    if (this.fault !== null) file.stop();
    this.stages.add(file);
    return new StageLog(index, this.runner, file, this.clock, this.output);
  }

  async flush(): Promise<void> {
    await Promise.all([this.runner.flush(), ...[...this.stages].map((f) => f.flush())]);
  }

  /** Closes every file still open (and waits for stage files closing in the background); rejects with the first disk error met. */
  async close(): Promise<void> {
    const results = await Promise.allSettled([this.runner.close(), ...[...this.stages].map((f) => f.close())]);
    this.stages.clear();
    const failed = results.find((r) => r.status === "rejected");
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  }
}

/**
 * Binds a run's manifest store to its log. A save (or guarded write) that meets a full disk frees space by cutting
 * the logs back — at least 64 KiB plus the size of what is being written — records the cut in the manifest summary,
 * and is retried once; a write that fails for good is the run's store fault. Either way the log stops and
 * the running stage is cancelled (see `RunLog`).
 */
export function bindRunStore(store: ManifestStore, log: RunLog): void {
  store.setFaultHandlers({
    reclaim: async (error, path, bytes) => {
      log.fail(error, path);
      const cuts = await log.freeSpace(RECLAIM_MIN_BYTES + bytes);
      if (cuts.length === 0) return false;
      const what = cuts.map((c) => `${relative(log.runDir, c.path)} cut from ${c.from} to ${c.to} bytes`).join(", ");
      store.manifest.summary = appendSummary(store.manifest.summary, `Run log truncated to free disk space: ${what}.`);
      return true;
    },
    fault: (error, path) => log.fail(error, path),
  });
}
