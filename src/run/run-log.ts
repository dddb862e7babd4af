import { redact } from "../core/redact.ts";
import { AppendFile } from "./append-file.ts";
import { commandLogPath, runFiles } from "./paths.ts";

/** Fields of one log line, `type` first (SPEC §9.7); `timestamp` and `index` are added by the log. */
export type LogFields = { type: string } & Record<string, unknown>;

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
    const line = redact(`${JSON.stringify({ ...fields, timestamp: at.toISOString(), index: this.index })}\n`);
    return both(this.runner.write(line), this.file.write(line));
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
