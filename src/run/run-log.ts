import { redact } from "../core/redact.ts";
import { AppendFile } from "./append-file.ts";
import { commandLogPath, runFiles } from "./paths.ts";

/** Fields of one log line, `type` first (SPEC §9.7); `timestamp` and `index` are added by the log. */
export type LogFields = { type: string } & Record<string, unknown>;

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

const both = (a: Promise<void> | undefined, b: Promise<void> | undefined): Promise<void> | undefined =>
  a === undefined ? b : b === undefined ? a : Promise.all([a, b]).then(() => {});

/** The log of one stage: each line goes to `runner.ndjson` and to `commands/NN-<slug>.ndjson`. */
export class StageLog {
  constructor(
    readonly index: number,
    private readonly runner: AppendFile,
    private readonly file: AppendFile,
    private readonly clock: () => Date,
  ) {}

  /** Absolute path of `commands/NN-<slug>.ndjson`. */
  get path(): string {
    return this.file.path;
  }

  /**
   * Appends `{...fields, timestamp, index}` (compact, this key order) to both files. Returns a promise when the
   * buffers are full; a producer of bulk output awaits it, which keeps memory bounded.
   */
  append(fields: LogFields, at: Date = this.clock()): Promise<void> | undefined {
    return this.writeLine(`${JSON.stringify({ ...fields, timestamp: at.toISOString(), index: this.index })}\n`);
  }

  /**
   * Appends `{...head, data, encoding?, timestamp, index}` like `append`, with `dataJson` = `JSON.stringify(data)`
   * made once by the caller: an output chunk's data goes into two lines, and escaping 8 KiB twice per chunk was a
   * tenth of the CPU time of streaming output (profiled).
   */
  appendWithData(head: LogFields, dataJson: string, encoding: string | undefined, at: Date = this.clock()): Promise<void> | undefined {
    const start = JSON.stringify(head);
    const tail = `"timestamp":"${at.toISOString()}","index":${this.index}}\n`;
    const enc = encoding === undefined ? "" : `,"encoding":${JSON.stringify(encoding)}`;
    return this.writeLine(`${start.slice(0, -1)},"data":${dataJson}${enc},${tail}`);
  }

  /** Redacts the line, encodes it once and hands the same bytes to both files (each copies them). */
  private writeLine(line: string): Promise<void> | undefined {
    const bytes = encodeLine(redact(line));
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

/** Writers of one run's `runner.ndjson` and its per-stage logs (SPEC §7.1, §9.7). */
export class RunLog {
  private readonly runner: AppendFile;
  private readonly stages = new Set<AppendFile>();

  constructor(
    readonly runDir: string,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.runner = new AppendFile(runFiles(runDir).runnerLog);
  }

  get runnerPath(): string {
    return this.runner.path;
  }

  /** Opens the log of stage `index` (1-based). A rerun (resume) appends to the existing file. */
  stage(index: number, stageId: string): StageLog {
    const file = new AppendFile(commandLogPath(this.runDir, index, stageId));
    this.stages.add(file);
    return new StageLog(index, this.runner, file, this.clock);
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
