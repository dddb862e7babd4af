import { errorMessage } from "../core/errors.ts";
import type { SandboxMode } from "../core/schemas/common.ts";
import type { CommandStage as CommandStageDef } from "../core/schemas/config.ts";
import type { CommandEntry } from "../core/schemas/manifest.ts";
import type { SessionLease } from "../exec/session-manager.ts";
import { writeErrorArtifact } from "../run/error-artifact.ts";
import { rel } from "../run/paths.ts";
import type { StageSpan } from "../telemetry/span-types.ts";
import type { CancelScope } from "./cancel-scope.ts";
import type { ActiveRun, StageOutcome } from "./run-context.ts";
import type { CommandStage } from "./stage-context.ts";
import { sessionSandbox } from "./session-sandbox.ts";
import { stageCache, stageCwd } from "./stage-cache.ts";
import { stageSandbox } from "./stage-sandbox.ts";
import { runCommandStage } from "./stage-runner.ts";

function sandboxOf(run: ActiveRun, def: CommandStageDef): { mode: SandboxMode | null; network: boolean } {
  return stageSandbox(def, run.pipeline, run.host.invocation.config?.config);
}

/** The runner's stage from its config definition and its session lease (SPEC §9.3, §9.4). */
export function commandStageFor(run: ActiveRun, def: CommandStageDef, index: number, cwd: string, lease: SessionLease): CommandStage {
  return {
    index,
    id: def.id,
    title: def.title,
    command: def.command,
    argv: ["/bin/sh", "-c", def.command],
    args: [],
    cwd,
    // A live session shell already holds the snapshot (and this stage's `env`, queued by the manager).
    env: lease.session === null ? lease.env : {},
    summaryHint: def.summaryHint ?? null,
    allowFailure: def.allowFailure === true,
    timeoutSeconds: def.timeout ?? null,
    tty: null,
    session: { id: lease.id, persisted: lease.persisted, reused: lease.reused, shell: lease.session },
    sandboxMode: sandboxOf(run, def).mode,
    networkAllowed: sandboxOf(run, def).network,
    approvalRequired: def.approval?.required === true,
    approvalKey: def.approval?.key ?? null,
    writableRoots: [run.runtime.roots.repo],
  };
}

async function stageSessionSandbox(run: ActiveRun, def: CommandStageDef, cwd: string) {
  const { mode, network } = sandboxOf(run, def);
  return sessionSandbox(run.runtime.orchestrator, {
    sandboxMode: mode,
    networkAllowed: network,
    writableRoots: [run.runtime.roots.repo],
    cwd,
    env: run.host.invocation.env,
  });
}

/** Runs one command stage of a pipeline and turns the runner's result into the executor's outcome. */
export async function runPipelineCommandStage(
  run: ActiveRun,
  def: CommandStageDef,
  index: number,
  span: StageSpan,
  /** The stage's own cancel scope (issue 17): a failed sibling cancels this stage alone. */
  cancel: CancelScope = run.runtime.cancel,
): Promise<StageOutcome> {
  const { host, store } = run;
  const sessions = host.sessions;
  if (sessions === null) throw new Error("this invocation has no session manager for pipeline stages");
  const entry = store.manifest.commands[index - 1] as CommandEntry;
  entry.command = def.command;
  entry.kind = "command";
  const cwd = stageCwd(def, host.cwd, run.runtime.roots.repo);
  // The stage cache (issue 18): a hit is replayed and the command never runs; a miss is recorded, then stored.
  const cache = stageCache(run, def, index, cwd);
  const early = await cache?.before();
  if (early != null) return early;
  let lease: SessionLease;
  try {
    const request = {
      ...(def.session?.id !== undefined ? { id: def.session.id } : {}),
      ...(def.session?.reuse !== undefined ? { reuse: def.session.reuse } : {}),
      ...(def.session?.persist !== undefined ? { persist: def.session.persist } : {}),
      env: def.env ?? {},
      cwd,
    };
    const persisted = def.session?.id !== undefined && (def.session.persist === true || def.session.reuse === true);
    // A persisted session's shell is started in the stage's sandbox (issue 15); one that cannot be enforced starts no
    // shell, and the stage fails closed in the orchestrator with nothing run.
    const sandbox = persisted ? await stageSessionSandbox(run, def, cwd) : undefined;
    lease =
      sandbox === null
        ? { ...(await sessions.acquire({ env: request.env })), id: def.session?.id as string, persisted: true }
        : await sessions.acquire({ ...request, ...(sandbox !== undefined ? { sandbox } : {}) });
  } catch (error) {
    return sessionFailure(run, entry, def, index, errorMessage(error));
  }
  let result: Awaited<ReturnType<typeof runCommandStage>>;
  const stopCapture = cache?.capture();
  try {
    result = await runCommandStage({ ...run.runtime, cancel }, commandStageFor(run, def, index, cwd, lease), span);
  } finally {
    stopCapture?.();
    await sessions.release(lease).catch(() => undefined);
  }
  await cache?.after(result.status, result.summary);
  const note = `${entry.title}: ${result.summary}`;
  if (result.status !== "failed") {
    return { status: result.status, exitCode: result.exitCode, summary: result.summary, note, failure: null };
  }
  const failure =
    result.errorMessage !== null
      ? { detail: `stage:${def.id}:error`, line: result.summary }
      : { detail: `stage:${def.id}:failed`, line: `Stage '${entry.title}' failed with exit code ${result.exitCode}.` };
  return { status: "failed", exitCode: result.exitCode, summary: result.summary, note, failure };
}

/** A stage whose session could not be started never ran: it fails like a spawn failure (exit 1, SPEC §9.3). */
async function sessionFailure(run: ActiveRun, entry: CommandEntry, def: CommandStageDef, index: number, message: string): Promise<StageOutcome> {
  const summary = `Execution error: ${message}`;
  const now = new Date();
  entry.status = "failed";
  entry.started_at ??= now.toISOString();
  entry.completed_at = now.toISOString();
  entry.exit_code = 1;
  entry.summary = summary;
  const path = await writeErrorArtifact(run.runtime.log.runDir, {
    runId: run.runtime.runId,
    taskId: run.runtime.taskId,
    commandIndex: index,
    commandId: def.id,
    command: def.command,
    reason: "spawn-failed",
    exitCode: 1,
    sandboxState: "unsandboxed",
    stderr: "",
    error: message,
    createdAt: now,
  });
  entry.error_file = rel(run.runtime.roots, path);
  await run.store.save();
  return {
    status: "failed",
    exitCode: 1,
    summary,
    note: `${entry.title}: ${summary}`,
    failure: { detail: `stage:${def.id}:error`, line: summary },
  };
}
