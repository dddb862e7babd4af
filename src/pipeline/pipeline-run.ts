import { removeRunOwner, writeRunOwner } from "../run/run-owner.ts";
import { RunFailedError, errorMessage } from "../core/errors.ts";
import { newRunId } from "../core/ids.ts";
import type { PipelineDefinition } from "../core/schemas/config.ts";
import { appendSummary } from "../core/summary.ts";
import { Heartbeat } from "../run/heartbeat.ts";
import type { LoadedInstructions } from "../run/instructions.ts";
import { ManifestStore } from "../run/manifest-store.ts";
import { runDir } from "../run/paths.ts";
import { RunLog, type StoreFault, bindRunStore, storeFaultLine } from "../run/run-log.ts";
import { RunRecorder } from "../run/run-recorder.ts";
import type { TaskMetadata } from "../run/task-metadata.ts";
import type { RunSpan } from "../telemetry/span-types.ts";
import { finalizeRun, type RecordedRun } from "./finalize.ts";
import type { ActiveRun, ExecutorOutcome, PipelineHost } from "./run-context.ts";
import type { CancelScope } from "./cancel-scope.ts";
import type { RunRuntime } from "./stage-context.ts";

export type NewRunInput = {
  pipeline: PipelineDefinition;
  metadata: TaskMetadata;
  instructions: LoadedInstructions;
  parentRunId: string | null;
  /** Builds the run span once the run id exists (top-level: from the tracer; child: under the parent's stage span). */
  span: (runId: string) => RunSpan;
  depth: number;
  cancel?: CancelScope;
};

/** Creates a pipeline run (`queued`, SPEC §9.1 step 1): manifest, `.resume-token`, run log, heartbeat. */
export async function createPipelineRun(host: PipelineHost, input: NewRunInput): Promise<ActiveRun> {
  const { invocation } = host;
  const runId = newRunId();
  // Loaded by pipeline runs only, like the executor and the pipeline's records below: an exec run needs none of them.
  const [{ recordedNeeds }, { pipelineHash, stageHash }] = await Promise.all([import("./stage-graph.ts"), import("./pipeline-hash.ts")]);
  const needs = recordedNeeds(input.pipeline);
  let store: ManifestStore;
  try {
    store = await ManifestStore.create({
      roots: invocation.roots,
      taskId: invocation.taskId,
      runId,
      taskSlug: input.metadata.slug,
      parentRunId: input.parentRunId,
      pipelineId: input.pipeline.id,
      pipelineTitle: input.pipeline.title,
      pipelineHash: pipelineHash(input.pipeline),
      approvalPolicy: host.approvalPolicy,
      status: "queued",
      stages: input.pipeline.stages.map((s, i) => ({
        id: s.id,
        title: s.title,
        command: s.kind === "command" ? s.command : null,
        kind: s.kind,
        definitionHash: stageHash(s),
        needs: needs[i] ?? [],
      })),
      instructions: input.instructions,
    });
  } catch (error) {
    throw new RunFailedError(`Cannot write the run store under ${invocation.roots.runs}: ${errorMessage(error)}`, { cause: error });
  }
  return openRun(host, store, input.pipeline, input.span(runId), input.depth, input.cancel);
}

/** The runtime of an existing run's store (a new run, or a resumed one). */
export function openRun(
  host: PipelineHost,
  store: ManifestStore,
  pipeline: PipelineDefinition,
  runSpan: RunSpan,
  depth: number,
  /** A child run is cancelled with the stage that runs it (a failed sibling may cancel it alone). */
  cancel: CancelScope = host.invocation.cancel,
): ActiveRun {
  const { invocation } = host;
  const m = store.manifest;
  const log = new RunLog(runDir(invocation.roots, m.task_id, m.run_id), { maxOutputBytes: invocation.maxOutputBytes });
  bindRunStore(store, log);
  const runtime: RunRuntime = {
    roots: invocation.roots,
    store,
    log,
    recorder: new RunRecorder(log, m.run_id),
    events: invocation.events,
    spans: invocation.spans,
    orchestrator: invocation.orchestrator,
    runSpan,
    cancel,
    runId: m.run_id,
    taskId: m.task_id,
    pipelineId: pipeline.id,
    warn: invocation.logger.warn,
    retryTargets: invocation.retryTargets,
  };
  // Once the run store has failed, the one line at the end says so: the warnings it causes would only repeat it.
  const heartbeat = new Heartbeat(store, { warn: log.quiet(invocation.logger.warn) });
  return { host, pipeline, store, runtime, heartbeat, runSpan, depth };
}

/** The first store fault of any run of an invocation (a child run's included), for its one stderr line. */
const hostFaults = new WeakMap<PipelineHost, StoreFault>();

export function runStoreFault(host: PipelineHost): StoreFault | null {
  return hostFaults.get(host) ?? null;
}

/**
 * The one lifecycle of a run — `start`, `resume`, a child run, `exec` (SPEC §9.1 steps 3–6, §14.1): `in_progress`
 * with a forced heartbeat, the run's recorder subscribed, its stages (the executor, or exec's one stage),
 * finalization; for a pipeline run its RunSummary, metrics line and `state.json` (an exec run's records react to its
 * `run:summary`: `run/summary-records.ts`). A crash while running the stages finalizes the run `failed` with
 * `Execution error: <message>`. A child run is closed here; the top-level run after its `run:summary`
 * (`top-level.ts`).
 */
export async function executeRun(
  run: ActiveRun,
  /** `manifestCurrent`: the manifest on disk is the one in memory, already `in_progress` (a new exec run). */
  options: { started?: () => void; manifestCurrent?: boolean } = {},
): Promise<RecordedRun> {
  const { store, heartbeat } = run;
  if (store.manifest.status === "queued") store.manifest.status = "in_progress";
  try {
    await (options.manifestCurrent === true && store.manifest.status === "in_progress" ? heartbeat.announce() : heartbeat.force());
  } catch (error) {
    throw new RunFailedError(storeFaultLine(run.host.invocation.roots.runs, run.runtime.log.failure ?? { error, path: store.files.manifest }), {
      cause: error,
    });
  }
  heartbeat.start();
  writeRunOwner(store.files.dir);
  options.started?.();
  const unrecord = run.runtime.events.subscribe(run.runtime.recorder.onEvent);
  let outcome: ExecutorOutcome;
  let crash: string | null = null;
  try {
    outcome = run.exec !== undefined ? await run.exec.execute(run) : await (await import("./executor.ts")).executeStages(run);
  } catch (error) {
    crash = errorMessage(error);
    store.manifest.summary = appendSummary(store.manifest.summary, `Execution error: ${crash}`);
    outcome = { notes: [], failureDetail: run.exec === undefined ? "pipeline-failed" : "exec-failed", failed: true };
  }
  unrecord();
  const status = await finalizeRun(run, outcome);
  const recorded = run.exec === undefined ? await (await import("./record-run.ts")).recordRun(run, outcome.notes) : { status, runSummary: null };
  run.runSpan.end({ status: store.manifest.status, metrics: store.manifest.metrics });
  if (run.depth > 0) await closeRun(run);
  return { ...recorded, crash };
}

/** The end of a run: its log closed, its last save done, its owner file removed, its store fault kept for the one line. */
export async function closeRun(run: ActiveRun): Promise<void> {
  const { store } = run;
  const { log } = run.runtime;
  const warn = log.quiet(run.host.invocation.logger.warn);
  await log.close().catch((error) => warn(`Run log not closed cleanly for run ${store.manifest.run_id}: ${errorMessage(error)}`));
  await log.tolerate(store.idle());
  removeRunOwner(store.files.dir);
  if (log.failure !== null && !hostFaults.has(run.host)) hostFaults.set(run.host, log.failure);
}
