import { dirname, join, resolve } from "node:path";
import { errorMessage } from "../core/errors.ts";
import { isRunId, stageFileStem } from "../core/ids.ts";
import type { CommandEntry, Manifest } from "../core/schemas/manifest.ts";
import type { ToolRunRecord } from "../core/schemas/tool-run.ts";
import { type Activity, readActivity } from "../run/activity.ts";
import { loadManifest } from "../run/manifest-store.ts";
import { runFiles } from "../run/paths.ts";
import { type AttemptTails, DEFAULT_TAIL_LIMITS, readOutputTails, type TailLimits } from "./output-tail.ts";
import { type ExecutionRecord, readRunTimeline } from "./stage-timeline.ts";

/** What the record says about a command's approval and sandbox (its manifest `toolRuns[]` record). */
export type CommandTool = {
  approvalSource: string;
  approvalPolicy: string | null;
  approvalKey: string | null;
  escalationKey: string | null;
  sandboxState: string;
  /** The mode asked for (config `sandbox`, `--sandbox`), null when none. */
  sandboxMode: string | null;
  /** What confined the command: `bubblewrap`, or `none`. */
  sandboxBackend: string;
  attemptCount: number;
  retryCount: number;
  cwd: string | null;
  timeoutSeconds: number | null;
};

export type ReportCommand = {
  /** Unique in the report: `<run-id>/<index>`. */
  key: string;
  index: number;
  id: string;
  title: string;
  kind: "command" | "subpipeline";
  command: string | null;
  status: string;
  /** Epoch ms; null for a stage that never started. */
  startedAt: number | null;
  endedAt: number | null;
  exitCode: number | null;
  summary: string | null;
  logFile: string | null;
  errorFile: string | null;
  tool: CommandTool | null;
  /** The stage's session (`commands[].session`): its id, whether it persists, whether it was reused. */
  session: { id: string; persisted: boolean; reused: boolean } | null;
  /** Every execution of the stage (more than one after a resume reran it), each with its attempts. */
  executions: ExecutionRecord[];
  /** Output tails of each attempt of the last execution (empty when not read). */
  tails: AttemptTails[];
  tailsIncomplete: boolean;
  /** Why the tails could not be read. */
  tailProblem: string | null;
  /** `output:truncated`: output over `--max-output-bytes` was not logged. */
  outputTruncated: { stream: string; limitBytes: number } | null;
  /** The child run of a sub-pipeline stage, or why it could not be read. */
  child: ReportRun | null;
  childProblem: string | null;
};

export type ReportRun = {
  manifest: Manifest;
  manifestPath: string;
  dir: string;
  depth: number;
  startedAt: number;
  /** `completed_at`, null while the run is active. */
  endedAt: number | null;
  activity: Activity;
  commands: ReportCommand[];
  /** Lines of `runner.ndjson` that were not JSON; whether the log is missing. */
  unreadableLogLines: number;
  logMissing: boolean;
};

export type RunReport = {
  run: ReportRun;
  generatedAt: number;
  /** The time axis every bar is placed on (epoch ms). */
  axis: { start: number; end: number };
  /** Per-stream tail bound used (bytes). */
  tailBytes: number;
};

export type ReportOptions = {
  /** Read the output tails (the HTML report); the text timeline does without. */
  tails: boolean;
  now?: () => number;
  /** Bounds of the tails. Default: 8 KiB per stream, shrunk so that all tails together stay within `totalTailBytes`. */
  tailLimits?: TailLimits;
  totalTailBytes?: number;
};

/** All tails of a report together stay under this (a 500-stage run gets 2 KiB per stream). */
export const DEFAULT_TOTAL_TAIL_BYTES = 2 * 1024 * 1024;
/** Child runs nested deeper than this are linked, not read (sub-pipelines cannot recurse; this is a guard). */
const MAX_DEPTH = 8;

const ms = (iso: string | null | undefined): number | null => {
  if (iso === null || iso === undefined) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
};

/**
 * The report of one run: its manifest, its log's timeline, the output tails of each command and its child runs,
 * nested. Paths are absolute. Reads only; a child run or log that cannot be read is reported as such, not fatal —
 * only the run's own manifest must be valid (`Invalid manifest …`, exit 1).
 */
export async function buildRunReport(manifestPath: string, options: ReportOptions): Promise<RunReport> {
  const now = options.now ?? Date.now;
  const generatedAt = now();
  const path = resolve(manifestPath);
  const manifest = await loadManifest(path);
  const stageCount = await countStages(path, manifest);
  const base = options.tailLimits ?? DEFAULT_TAIL_LIMITS;
  const total = options.totalTailBytes ?? DEFAULT_TOTAL_TAIL_BYTES;
  const perStream = Math.max(512, Math.min(base.maxBytes, Math.floor(total / Math.max(1, 2 * stageCount))));
  const limits: TailLimits = { ...base, maxBytes: perStream };
  const run = await readRun(path, manifest, 0, { ...options, tailLimits: limits }, generatedAt);
  return { run, generatedAt, axis: axisOf(run, generatedAt), tailBytes: perStream };
}

/** Stages of the run and of its child runs (for the tail budget); a child that cannot be read counts as none. */
async function countStages(path: string, manifest: Manifest, depth = 0): Promise<number> {
  let count = manifest.commands.length;
  if (depth >= MAX_DEPTH) return count;
  for (const child of manifest.child_runs) {
    const childPath = childManifestPath(path, child.run_id);
    if (childPath === null) continue;
    try {
      count += await countStages(childPath, await loadManifest(childPath), depth + 1);
    } catch {
      // Reported where the child is read.
    }
  }
  return count;
}

/**
 * A child run's manifest: its run directory is a sibling of the parent's (same task, same `cli/` directory). Looked
 * up there rather than through `child_runs[].manifest` (relative to the repository of the run), so that a run store
 * copied elsewhere — a CI artifact — still reports its children.
 */
function childManifestPath(parentManifest: string, childRunId: string): string | null {
  if (!isRunId(childRunId)) return null;
  return join(dirname(dirname(parentManifest)), childRunId, "manifest.json");
}

/** A manifest path (relative to `<repo>`, under `artifact_root`) as a path under the run directory itself. */
function inRunDir(dir: string, manifest: Manifest, recorded: string | null): string | null {
  if (recorded === null) return null;
  const prefix = `${manifest.artifact_root}/`;
  if (recorded.startsWith(prefix)) return join(dir, recorded.slice(prefix.length));
  return null;
}

async function readRun(path: string, manifest: Manifest, depth: number, options: ReportOptions, now: number): Promise<ReportRun> {
  const dir = dirname(path);
  const files = runFiles(dir);
  const timeline = await readRunTimeline(files.runnerLog);
  const activity = await readActivity(manifest, files.heartbeat, () => now);
  const commands: ReportCommand[] = [];
  for (const entry of manifest.commands) {
    const stageTimeline = timeline.stages.get(entry.index);
    const logFile = inRunDir(dir, manifest, entry.log_path) ?? (entry.kind === "command" ? join(dir, "commands", `${stageFileStem(entry.index, entry.id)}.ndjson`) : null);
    const command: ReportCommand = {
      key: `${manifest.run_id}/${entry.index}`,
      index: entry.index,
      id: entry.id,
      title: entry.title,
      kind: entry.kind,
      command: entry.command,
      status: entry.status,
      startedAt: ms(entry.started_at),
      endedAt: ms(entry.completed_at),
      exitCode: entry.exit_code,
      summary: entry.summary,
      logFile: entry.log_path === null ? null : logFile,
      errorFile: inRunDir(dir, manifest, entry.error_file),
      tool: toolOf(manifest, entry),
      session: entry.session ?? null,
      executions: stageTimeline?.executions ?? [],
      tails: [],
      tailsIncomplete: false,
      tailProblem: null,
      outputTruncated: stageTimeline?.truncated ?? null,
      child: null,
      childProblem: null,
    };
    if (options.tails && entry.kind === "command" && command.logFile !== null && entry.started_at !== null) {
      try {
        const tails = await readOutputTails(command.logFile, options.tailLimits ?? DEFAULT_TAIL_LIMITS);
        command.tails = tails.attempts;
        command.tailsIncomplete = tails.scanIncomplete;
      } catch (error) {
        command.tailProblem = `Cannot read ${command.logFile}: ${errorMessage(error)}`;
      }
    }
    if (entry.kind === "subpipeline" && entry.sub_run_id !== null) await attachChild(command, path, entry.sub_run_id, depth, options, now);
    commands.push(command);
  }
  return {
    manifest,
    manifestPath: path,
    dir,
    depth,
    startedAt: ms(manifest.started_at) ?? now,
    endedAt: ms(manifest.completed_at),
    activity,
    commands,
    unreadableLogLines: timeline.unreadableLines,
    logMissing: timeline.missing,
  };
}

async function attachChild(command: ReportCommand, parentPath: string, runId: string, depth: number, options: ReportOptions, now: number): Promise<void> {
  const childPath = childManifestPath(parentPath, runId);
  if (childPath === null) {
    command.childProblem = `Child run id ${JSON.stringify(runId)} is not a run id.`;
    return;
  }
  if (depth + 1 > MAX_DEPTH) {
    command.childProblem = `Child run ${runId} is nested deeper than ${MAX_DEPTH} levels; see its own report.`;
    return;
  }
  try {
    command.child = await readRun(childPath, await loadManifest(childPath), depth + 1, options, now);
  } catch (error) {
    command.childProblem = errorMessage(error);
  }
}

/** The stage's last `toolRuns[]` record (a resumed stage has one per execution). */
function toolOf(manifest: Manifest, entry: CommandEntry): CommandTool | null {
  let record: ToolRunRecord | null = null;
  for (const candidate of manifest.toolRuns) {
    const meta = candidate.metadata;
    if (meta.commandIndex !== entry.index || meta.stageId !== entry.id) continue;
    if (record === null || candidate.startedAt >= record.startedAt) record = candidate;
  }
  if (record === null) return null;
  const meta = record.metadata as ToolRunRecord["metadata"] & { escalationKey?: unknown; sandboxBackend?: unknown };
  // The record's own `sandboxBackend` (issue 15); before it, some runs kept it in the metadata.
  const recorded = (record as { sandboxBackend?: unknown }).sandboxBackend !== undefined ? (record as { sandboxBackend?: unknown }).sandboxBackend : meta.sandboxBackend;
  // Runs recorded before `sandboxBackend` existed: bubblewrap was the only backend, and it confined exactly the
  // commands recorded `sandboxed` (an escalated one was sandboxed in its first attempt).
  const backend =
    typeof recorded === "string"
      ? recorded
      : recorded === null
        ? record.sandboxState === "escalated"
          ? "none (the retry ran unconfined)"
          : "none"
        : record.sandboxState === "sandboxed" || record.sandboxState === "escalated"
          ? "bubblewrap"
          : "none";
  return {
    approvalSource: record.approvalSource,
    approvalPolicy: meta.approvalPolicy ?? null,
    approvalKey: meta.approvalKey ?? null,
    escalationKey: typeof meta.escalationKey === "string" ? meta.escalationKey : null,
    sandboxState: record.sandboxState,
    sandboxMode: meta.sandboxMode ?? null,
    sandboxBackend: backend,
    attemptCount: record.attemptCount,
    retryCount: record.retryCount,
    cwd: meta.cwd ?? null,
    timeoutSeconds: meta.timeoutSeconds ?? null,
  };
}

/** From the run's start to its end (or now, for an active run), wide enough for every bar of every child run. */
function axisOf(run: ReportRun, now: number): { start: number; end: number } {
  let start = run.startedAt;
  let end = run.endedAt ?? now;
  const visit = (r: ReportRun) => {
    start = Math.min(start, r.startedAt);
    end = Math.max(end, r.endedAt ?? (isActive(r) ? now : r.startedAt));
    for (const c of r.commands) {
      for (const t of [c.startedAt, c.endedAt]) if (t !== null) [start, end] = [Math.min(start, t), Math.max(end, t)];
      for (const e of c.executions) {
        start = Math.min(start, e.startedAt);
        for (const a of e.attempts) end = Math.max(end, a.endedAt ?? a.startedAt, a.retry === null ? 0 : a.retry.at + a.retry.delayMs);
      }
      if (c.child !== null) visit(c.child);
    }
  };
  visit(run);
  return { start, end: Math.max(end, start + 1) };
}

export function isActive(run: ReportRun): boolean {
  return run.manifest.status === "queued" || run.manifest.status === "in_progress";
}

/** Where a command's bar ends: its completion, else now while its run is active, else its last recorded moment. */
export function commandEnd(command: ReportCommand, run: ReportRun, now: number): number | null {
  if (command.startedAt === null) return null;
  if (command.endedAt !== null) return Math.max(command.endedAt, command.startedAt);
  if (isActive(run) && !run.activity.stale) return Math.max(now, command.startedAt);
  let last = command.startedAt;
  for (const e of command.executions) for (const a of e.attempts) last = Math.max(last, a.endedAt ?? a.startedAt);
  return last;
}

/** Every command of the report, child runs' commands right after their sub-pipeline stage, with their run. */
export function flattenCommands(run: ReportRun): { command: ReportCommand; run: ReportRun }[] {
  const out: { command: ReportCommand; run: ReportRun }[] = [];
  for (const command of run.commands) {
    out.push({ command, run });
    if (command.child !== null) out.push(...flattenCommands(command.child));
  }
  return out;
}
