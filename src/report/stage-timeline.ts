import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";

/** One attempt of a command, from its `exec:begin` / `exec:end` / `exec:retry` log lines. Times in epoch ms. */
export type AttemptRecord = {
  attempt: number;
  correlationId: string;
  startedAt: number;
  /** `exec:end` time; null while it runs (or when the run died during it). */
  endedAt: number | null;
  exitCode: number | null;
  signal: string | null;
  durationMs: number | null;
  status: "succeeded" | "failed" | "running";
  sandboxState: string;
  /** The `exec:retry` after this attempt: the wait before the next one and why. */
  retry: { at: number; delayMs: number; error: string; sandboxState: string } | null;
};

/** One execution of a stage (`command:start` … `command:end`); a resumed stage has one per run of it. */
export type ExecutionRecord = {
  startedAt: number;
  endedAt: number | null;
  exitCode: number | null;
  attempts: AttemptRecord[];
};

/** What the run log says about one stage. */
export type StageTimeline = {
  executions: ExecutionRecord[];
  /** `output:truncated`: output past `--max-output-bytes` was not logged from this chunk on. */
  truncated: { stream: string; limitBytes: number; sequence: number } | null;
};

/** Every stage's timeline by stage index, and how many lines could not be read. */
export type RunTimeline = { stages: Map<number, StageTimeline>; unreadableLines: number; missing: boolean };

type Line = Record<string, unknown> & { type?: unknown; index?: unknown; timestamp?: unknown };

const time = (value: unknown): number | null => {
  if (typeof value !== "string") return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
};
const num = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);
const str = (value: unknown): string | null => (typeof value === "string" ? value : null);

/** Lines that carry output: skipped without parsing (a run's log may hold many; older logs repeat every chunk). */
const OUTPUT_LINE = /^\{"type":"(?:exec:chunk|command:stdout|command:stderr)"/;

/**
 * Reads `runner.ndjson` (every stage's lines but their output) into per-stage executions and attempts. A line that is
 * not JSON is counted, not fatal: the report says how many it could not read.
 */
export async function readRunTimeline(runnerLog: string): Promise<RunTimeline> {
  const stages = new Map<number, StageTimeline>();
  let unreadableLines = 0;
  const stageOf = (index: number): StageTimeline => {
    let stage = stages.get(index);
    if (stage === undefined) {
      stage = { executions: [], truncated: null };
      stages.set(index, stage);
    }
    return stage;
  };
  let lines: AsyncIterable<string>;
  try {
    const stream = createReadStream(runnerLog, { encoding: "utf8" });
    await new Promise<void>((resolve, reject) => {
      stream.once("open", () => resolve());
      stream.once("error", reject);
    });
    lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { stages, unreadableLines: 0, missing: true };
    throw error;
  }
  for await (const text of lines) {
    if (text === "" || OUTPUT_LINE.test(text)) continue;
    let line: Line;
    try {
      line = JSON.parse(text) as Line;
    } catch {
      unreadableLines++;
      continue;
    }
    const index = num(line.index);
    const at = time(line.timestamp);
    if (index === null || at === null) continue;
    applyLine(stageOf(index), line, at);
  }
  return { stages, unreadableLines, missing: false };
}

function applyLine(stage: StageTimeline, line: Line, at: number): void {
  const current = (): ExecutionRecord => {
    let execution = stage.executions.at(-1);
    if (execution === undefined || execution.endedAt !== null) {
      // An attempt without its `command:start` (never written by this program, but a log may be cut): still shown.
      execution = { startedAt: at, endedAt: null, exitCode: null, attempts: [] };
      stage.executions.push(execution);
    }
    return execution;
  };
  switch (line.type) {
    case "command:start":
      stage.executions.push({ startedAt: at, endedAt: null, exitCode: null, attempts: [] });
      return;
    case "command:end": {
      const execution = current();
      execution.endedAt = at;
      execution.exitCode = num(line.exit_code);
      return;
    }
    case "exec:begin":
      current().attempts.push({
        attempt: num(line.attempt) ?? current().attempts.length + 1,
        correlationId: str(line.correlation_id) ?? "",
        startedAt: at,
        endedAt: null,
        exitCode: null,
        signal: null,
        durationMs: null,
        status: "running",
        sandboxState: str(line.sandbox_state) ?? "unsandboxed",
        retry: null,
      });
      return;
    case "exec:end": {
      const attempt = current().attempts.at(-1);
      if (attempt === undefined) return;
      attempt.endedAt = at;
      attempt.exitCode = num(line.exit_code);
      attempt.signal = str(line.signal);
      attempt.durationMs = num(line.duration_ms);
      attempt.status = line.status === "succeeded" ? "succeeded" : "failed";
      return;
    }
    case "exec:retry": {
      const attempt = current().attempts.at(-1);
      if (attempt === undefined) return;
      attempt.retry = {
        at,
        delayMs: num(line.delay_ms) ?? 0,
        error: str(line.error) ?? "",
        sandboxState: str(line.sandbox_state) ?? attempt.sandboxState,
      };
      return;
    }
    case "output:truncated":
      stage.truncated ??= { stream: str(line.stream) ?? "stdout", limitBytes: num(line.limit_bytes) ?? 0, sequence: num(line.sequence) ?? 0 };
      return;
  }
}
