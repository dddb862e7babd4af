import { basename, dirname } from "node:path";
import type { PipelineDefinition } from "../core/schemas/config.ts";
import type { SessionManager } from "../exec/session-manager.ts";
import type { Heartbeat } from "../run/heartbeat.ts";
import type { ManifestStore } from "../run/manifest-store.ts";
import type { RunSpan } from "../telemetry/span-types.ts";
import { stringEnv } from "../platform/env.ts";
import type { RunSummaryPayload } from "../core/schemas/events.ts";
import type { Invocation } from "./invocation.ts";
import type { SubpipelineStage } from "../core/schemas/config.ts";
import type { StageSpan } from "../telemetry/span-types.ts";
import type { CancelScope } from "./cancel-scope.ts";
import type { RunRuntime } from "./stage-context.ts";

/** What the executor needs to know about a finished stage (command or sub-pipeline). */
export type StageOutcome = {
  /** `cached`: a hit of the stage cache (issue 18), which counts as succeeded for the stages that need it. */
  status: "succeeded" | "failed" | "skipped" | "cancelled" | "cached";
  exitCode: number | null;
  summary: string | null;
  /** The RunSummary note of this stage (SPEC §9.1 step 3). */
  note: string;
  /** A failure that stops the pipeline: its `status_detail` and its summary line (SPEC §9.3, §9.6). */
  failure: { detail: string; line: string } | null;
};

/** What running a run's stages came to, handed to finalization. */
export type ExecutorOutcome = {
  /** Stage notes in stage order (SPEC §9.1 step 3). */
  notes: string[];
  /** The `status_detail` of the failure that stopped the run; null when none did. */
  failureDetail: string | null;
  /** A stage ended `failed` (the run fails) — also true with a detail of `pipeline-failed` kind. */
  failed: boolean;
};

export type FinalStatus = "succeeded" | "failed" | "cancelled";

/**
 * What makes a run an `exec` run (SPEC §14.1): a one-stage pipeline run with the same lifecycle as `start` and
 * `resume` (bootstrap, heartbeat, finalize, `run:summary`, notifications, metrics), whose one stage is the command
 * it was given (no `stage:*` events), whose `run:summary` reports that command, whose records react to the summary
 * (`run/summary-records.ts`) and whose exit code is the command's.
 */
export type ExecKind = {
  execute(run: ActiveRun): Promise<ExecutorOutcome>;
  summaryPayload(run: ActiveRun, status: FinalStatus): RunSummaryPayload;
  exitCode(run: ActiveRun, status: FinalStatus): number;
};

/** What every run of one `start`/`resume` invocation shares (the top-level run and its child runs). */
export type PipelineHost = {
  invocation: Invocation;
  /** One session manager per CLI process: persisted stage sessions are shared by child runs (SPEC §9.4); null for exec. */
  sessions: SessionManager | null;
  /** The process cwd: a relative stage `cwd` resolves against it (SPEC §6.1). */
  cwd: string;
  /** The CLI command that made the runs (span attribute). */
  command: "start" | "resume" | "exec";
  /** Recorded in `approval_policy` of the runs this invocation creates. */
  approvalPolicy: string | null;
  /** `start --only` (issue 18): the stages of the top-level run to run (the others stay `pending`); null for all. */
  only: ReadonlySet<string> | null;
  /**
   * Runs a sub-pipeline stage as a child run. Passed in rather than imported by the executor: a child run is itself
   * executed by the executor, and the injection keeps that recursion out of the import graph.
   */
  runSubpipeline: (run: ActiveRun, def: SubpipelineStage, index: number, span: StageSpan, cancel: CancelScope) => Promise<StageOutcome>;
};

/** One pipeline run being executed (top-level or child). */
export type ActiveRun = {
  host: PipelineHost;
  pipeline: PipelineDefinition;
  store: ManifestStore;
  runtime: RunRuntime;
  heartbeat: Heartbeat;
  runSpan: RunSpan;
  /** 0 for the run the CLI started or resumed, parent depth + 1 for a child run. */
  depth: number;
  /** Set for an `exec` run; a pipeline run runs its stages with the executor. */
  exec?: ExecKind;
};

/**
 * The directory of the running executable, so that a stage's `codex-orchestrator …` reaches it even when it is not
 * on PATH (SPEC §6.2, §24.1). Null when running from source under a JavaScript runtime (its directory holds `bun`
 * or `node`, not this CLI).
 */
export function executableDir(execPath: string = process.execPath): string | null {
  const name = basename(execPath);
  if (name === "bun" || name === "node" || name === "deno") return null;
  return dirname(execPath);
}

/** The environment every stage starts from: the CLI's string-valued environment, the executable's directory first on PATH. */
export function stageBaseEnv(env: Record<string, string | undefined>, exeDir: string | null = executableDir()): Record<string, string> {
  const out = stringEnv(env);
  if (exeDir !== null) out.PATH = out.PATH ? `${exeDir}:${out.PATH}` : exeDir;
  return out;
}
