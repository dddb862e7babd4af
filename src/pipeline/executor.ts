import type { PipelineDefinition } from "../core/schemas/config.ts";
import type { CommandEntry } from "../core/schemas/manifest.ts";
import { appendSummary } from "../core/summary.ts";
import type { CancelScope } from "./cancel-scope.ts";
import { runPipelineCommandStage } from "./command-stage.ts";
import { isKept } from "./resume-reset.ts";
import type { ActiveRun, ExecutorOutcome, StageOutcome } from "./run-context.ts";
import { stageGraph } from "./stage-graph.ts";

type StageDefinition = PipelineDefinition["stages"][number];

type Running = { promise: Promise<string>; scope: CancelScope; dispose: () => void };

/**
 * The executor (SPEC §9.2, issue 17). It runs every stage whose entry is not kept (`succeeded`, or `skipped` by
 * `allowFailure`) once the stages it needs have succeeded, up to the invocation's concurrency at once; a sequential
 * pipeline is the graph where each stage needs the one before, so it runs one at a time in order.
 *
 * A failure that is not allowed stops new stages from starting. In graph mode it also cancels the running siblings
 * (each stage has its own cancel scope under the run's: its process group gets SIGTERM, the entry ends `cancelled`)
 * and the stages that did not start end `skipped` with `skipped_because` naming the failed stage; with `keepGoing`
 * only the stages that need the failed one (directly or not) are skipped. In sequential mode the later entries stay
 * `pending` (SPEC §9.2). A cancelled run (SIGINT/SIGTERM/SIGHUP) starts nothing more and leaves the rest `pending`.
 * Stage failure lines go into the summary as they happen; the failure detail is returned rather than stored, because
 * heartbeat ticks clear `status_detail` while the run is in progress.
 */
export async function executeStages(run: ActiveRun): Promise<ExecutorOutcome> {
  const { store, pipeline } = run;
  const manifest = store.manifest;
  const { invocation } = run.host;
  const { graph, needs } = stageGraph(pipeline);
  const limit = graph ? invocation.concurrency : 1;
  const keepGoing = graph && invocation.keepGoing;
  const cancel = run.runtime.cancel;

  const entries = new Map<string, CommandEntry>();
  const indexOf = new Map<string, number>();
  const notes = new Map<string, string>();
  for (const [i, def] of pipeline.stages.entries()) {
    // Matched by id (issue 22.2): resume has refused a run whose stages no longer line up with the definition.
    const entry = manifest.commands[i];
    if (entry === undefined) throw new Error(`stage '${def.id}' has no entry in the manifest`);
    if (entry.id !== def.id) throw new Error(`stage '${def.id}' has no entry at position ${i + 1} (found '${entry.id}')`);
    entries.set(def.id, entry);
    indexOf.set(def.id, i + 1);
    if (isKept(entry)) notes.set(def.id, `${entry.title}: ${entry.status}`);
  }
  // `start --only` (issue 18): the other stages of the top-level run are not run and stay `pending`; one that a
  // selected stage needs only in sequential order does not hold it back.
  const only = run.depth === 0 ? run.host.only : null;
  const waiting = pipeline.stages.filter((def) => !notes.has(def.id) && (only === null || only.has(def.id)));
  /** Outcomes of the stages this execution ran. */
  const outcomes = new Map<string, StageOutcome>();
  /** The failed stage behind each stage that cannot run (its own id for a failed stage). */
  const blockedBy = new Map<string, string>();
  const running = new Map<string, Running>();
  const sessionsInUse = new Set<string>();
  let failureDetail: string | null = null;
  let failed = false;
  let stopping = false;
  let firstFailure: string | null = null;

  const succeeded = (id: string): boolean => {
    const entry = entries.get(id) as CommandEntry;
    const outcome = outcomes.get(id);
    if (outcome === undefined) return isKept(entry);
    return outcome.status === "succeeded" || outcome.status === "skipped" || outcome.status === "cached";
  };
  const ready = (def: StageDefinition): boolean => {
    if (!(needs.get(def.id) ?? []).every((id) => succeeded(id) || (only !== null && !only.has(id)))) return false;
    // Two stages never use one live session at the same time: the second waits (docs/guides/pipelines.md).
    const session = liveSession(def);
    return session === null || !sessionsInUse.has(session);
  };
  /** Marks the waiting stages that need a blocked one as blocked too, transitively. */
  const propagate = () => {
    for (let changed = true; changed; ) {
      changed = false;
      for (const def of waiting) {
        if (blockedBy.has(def.id) || running.has(def.id) || outcomes.has(def.id)) continue;
        const cause = (needs.get(def.id) ?? []).map((d) => blockedBy.get(d)).find((c) => c !== undefined);
        if (cause !== undefined) {
          blockedBy.set(def.id, cause);
          changed = true;
        }
      }
    }
  };

  const start = (def: StageDefinition) => {
    const { scope, dispose } = cancel.child();
    const session = liveSession(def);
    if (session !== null) sessionsInUse.add(session);
    const promise = runStage(run, def, indexOf.get(def.id) as number, scope).then((outcome) => {
      outcomes.set(def.id, outcome);
      if (session !== null) sessionsInUse.delete(session);
      return def.id;
    });
    running.set(def.id, { promise, scope, dispose });
  };

  for (;;) {
    propagate();
    while (!stopping && !cancel.cancelled && running.size < limit) {
      const next = waiting.find((def) => !outcomes.has(def.id) && !running.has(def.id) && !blockedBy.has(def.id) && ready(def));
      if (next === undefined) break;
      start(next);
    }
    if (running.size === 0) break;
    const id = await Promise.race([...running.values()].map((r) => r.promise));
    const done = running.get(id) as Running;
    running.delete(id);
    done.dispose();
    const outcome = outcomes.get(id) as StageOutcome;
    notes.set(id, outcome.note);
    if (outcome.status === "failed") failed = true;
    if (outcome.failure !== null) {
      manifest.summary = appendSummary(manifest.summary, outcome.failure.line);
      failureDetail ??= outcome.failure.detail;
      firstFailure ??= id;
      blockedBy.set(id, id);
      if (!keepGoing) {
        stopping = true;
        for (const r of running.values()) r.scope.cancel("SIGTERM", `stage '${id}' of run ${manifest.run_id} failed`);
      }
    }
    if (outcome.status === "cancelled" && !graph) stopping = true;
  }

  // Saved by finalization's forced heartbeat, which follows at once.
  if (only !== null) for (const def of pipeline.stages) if (!only.has(def.id) && !notes.has(def.id)) resetEntry(entries.get(def.id) as CommandEntry);
  for (const def of waiting) {
    if (outcomes.has(def.id)) continue;
    const entry = entries.get(def.id) as CommandEntry;
    const cause = blockedBy.get(def.id) ?? (graph && !cancel.cancelled ? firstFailure : null);
    if (graph && cause !== null) skipEntry(entry, cause);
    else resetEntry(entry);
  }
  const ordered = pipeline.stages.map((def) => notes.get(def.id)).filter((n): n is string => n !== undefined);
  return { notes: ordered, failureDetail, failed };
}

/** The live session a command stage runs in, if it keeps one (`persist`/`reuse`); null for a fresh process. */
function liveSession(def: StageDefinition): string | null {
  if (def.kind !== "command" || def.session === undefined) return null;
  const { id, persist, reuse } = def.session;
  return id !== undefined && (persist === true || reuse === true) ? id : null;
}

/** One stage: its events, span and runner; `scope` cancels it alone or with the run. */
async function runStage(run: ActiveRun, def: StageDefinition, index: number, scope: CancelScope): Promise<StageOutcome> {
  const { store, pipeline } = run;
  const manifest = store.manifest;
  const events = run.host.invocation.events;
  const entry = manifest.commands[index - 1] as CommandEntry;
  entry.status = "pending";
  entry.started_at = new Date().toISOString();
  entry.skipped_because = null;
  const began = performance.now();
  await events.emit("stage:begin", {
    index,
    stageId: def.id,
    title: entry.title,
    kind: def.kind,
    pipelineId: pipeline.id,
    runId: manifest.run_id,
    parentRunId: manifest.parent_run_id,
  });
  const span = run.runSpan.startStage(def.id, { index, title: entry.title, kind: def.kind });
  let outcome: StageOutcome;
  try {
    outcome =
      def.kind === "command"
        ? await runPipelineCommandStage(run, def, index, span, scope)
        : await run.host.runSubpipeline(run, def, index, span, scope);
  } finally {
    span.end({ status: entry.status, exitCode: entry.exit_code });
  }
  await events.emit("stage:end", {
    index,
    stageId: def.id,
    status: outcome.status,
    exitCode: outcome.exitCode,
    summary: outcome.summary,
    durationMs: Math.max(0, Math.round(performance.now() - began)),
    pipelineId: pipeline.id,
    runId: manifest.run_id,
  });
  return outcome;
}

/** A graph stage not run because `cause` failed (issue 17): resume reruns it. */
function skipEntry(entry: CommandEntry, cause: string): void {
  entry.status = "skipped";
  entry.started_at = null;
  entry.completed_at = null;
  entry.exit_code = null;
  entry.summary = `Skipped: stage '${cause}' failed`;
  entry.error_file = null;
  entry.skipped_because = cause;
}

/**
 * An entry that did not run in this execution is `pending` (SPEC §9.2, §13). On resume it may still show an older
 * attempt's `failed`/`cancelled`; it is cleared so the counts stay true.
 */
function resetEntry(entry: CommandEntry): void {
  if (entry.status === "pending" && entry.skipped_because == null) return;
  entry.status = "pending";
  entry.started_at = null;
  entry.completed_at = null;
  entry.exit_code = null;
  entry.summary = null;
  entry.error_file = null;
  entry.skipped_because = null;
}
