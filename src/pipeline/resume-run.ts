import { RunFailedError, } from "../core/errors.ts";
import type { Manifest } from "../core/schemas/manifest.ts";
import { isApprovalPolicy } from "../autonomy/approval-policy.ts";
import { validateTaskId } from "../core/ids.ts";
import { readActivity } from "../run/activity.ts";
import { ManifestStore } from "../run/manifest-store.ts";
import { lockRun } from "../run/run-lock.ts";
import { writeRunOwner } from "../run/run-owner.ts";
import { resolveStoreRoots } from "../run/paths.ts";
import { type FoundRun, findRun, reloadRun } from "../run/run-lookup.ts";
import { runExec } from "./exec-run.ts";
import { describeFailure } from "./failure-report.ts";
import type { ApprovalPrompter } from "../autonomy/approval-prompter.ts";
import { type Logger, prepareInvocation } from "./invocation.ts";
import { executeRun, openRun } from "./pipeline-run.ts";
import { pipelineChange, type RecordedPipeline } from "./pipeline-hash.ts";
import { findPipeline, pipelineNotFound } from "./resolve.ts";
import { activeRunRefusal, applyResumeReset } from "./resume-reset.ts";
import { checkResumeToken, storedResumeToken } from "./resume-token.ts";
import { type PipelineHooks, type PipelineResult, withPipelineHost } from "./top-level.ts";

export type ResumeRequest = {
  env: Record<string, string | undefined>;
  cwd: string;
  runId: string;
  task?: string | undefined;
  token?: string | undefined;
  actor: string;
  reason: string;
  force: boolean;
  notify: string[];
  otelEndpoint?: string | undefined;
  maxOutputBytes?: string | undefined;
  concurrency?: string | undefined;
  keepGoing?: boolean;
  /** Who answers approval prompts, where the lines go, whether the run handles signals (the MCP server's own). */
  prompter?: ApprovalPrompter | null;
  logger?: Logger;
  handleSignals?: boolean;
};

/**
 * `resume` (SPEC §12, issue 22.2/22.5). Under the run's resume lock, steps 1–5 (lookup, task, pipeline and its
 * unchanged definition, token, not succeeded, activity) only read; any failure there leaves the manifest untouched. Then the accepted resume is recorded, the run reset, and the executor reruns every entry that
 * is not `succeeded`/`skipped`; the run is finished like `start`.
 */
export async function runResume(request: ResumeRequest, hooks: PipelineHooks = {}): Promise<PipelineResult> {
  const roots = resolveStoreRoots({ env: request.env, cwd: request.cwd });
  const task = request.task === undefined ? undefined : validateTaskId(request.task, "--task");
  const first = await findRun(roots, request.runId, { task, env: request.env });
  // One resumer at a time (issue 22.5): held until the resumed run is finished.
  const lock = await lockRun(first.files, first.runId, (holder) => `Run ${first.runId} is being resumed by another process${holder}.`);
  try {
    // Read again under the lock: a resumer that held it before may have changed the run meanwhile.
    const found = await reloadRun(first);
    return await resumeLocked(request, found, hooks);
  } finally {
    await lock.release().catch(() => undefined);
  }
}

/**
 * SPEC §12 steps 4–5 and issue 22.5, shared by pipeline and exec runs: the token matches, the run has not succeeded,
 * and it is not active (unless forced). Returns the active-run refusal that `--force` overrode, or null.
 */
async function checkResumable(request: ResumeRequest, found: FoundRun): Promise<string | null> {
  const m = found.manifest;
  const stored = await storedResumeToken(m.resume_token, found.files.resumeToken, found.runId);
  checkResumeToken(request.token, stored);
  if (m.status === "succeeded") throw new RunFailedError(`Run ${found.runId} already succeeded; there is nothing to resume.`);
  const refusal = activeRunRefusal(m, await readActivity(m, found.files.heartbeat));
  if (refusal !== null && !request.force) throw new RunFailedError(refusal);
  return refusal;
}

async function resumeLocked(request: ResumeRequest, found: FoundRun, hooks: PipelineHooks): Promise<PipelineResult> {
  if (found.manifest.pipeline_id === "exec") return resumeExecRun(request, found, hooks);
  const taskId = validateTaskId(found.manifest.task_id, "manifest task_id");
  const recorded = found.manifest.approval_policy;
  const invocation = await prepareInvocation({
    env: request.env,
    cwd: request.cwd,
    taskOverride: taskId,
    // The resumed run keeps the policy it was started with.
    approvalPolicy: recorded !== null && isApprovalPolicy(recorded) ? recorded : undefined,
    notify: request.notify,
    otelEndpoint: request.otelEndpoint,
    maxOutputBytes: request.maxOutputBytes,
    concurrency: request.concurrency,
    keepGoing: request.keepGoing,
    ...(request.prompter !== undefined ? { prompter: request.prompter } : {}),
    ...(request.logger !== undefined ? { logger: request.logger } : {}),
    ...(request.handleSignals !== undefined ? { handleSignals: request.handleSignals } : {}),
  });
  const pipelineId = found.manifest.pipeline_id;
  const resolved = findPipeline(invocation.config?.config ?? null, pipelineId);
  if (resolved === null) throw pipelineNotFound(pipelineId);
  const change = pipelineChange(recordedPipeline(found.manifest), resolved.pipeline);
  if (change !== null) {
    throw new RunFailedError(
      `Cannot resume run ${found.runId}: pipeline '${pipelineId}' changed since the run started (${change}); start a new run.`,
    );
  }
  const refusal = await checkResumable(request, found);
  await hooks.prepared?.(invocation);

  return withPipelineHost(invocation, { cwd: request.cwd, command: "resume", approvalPolicy: recorded }, async (host) => {
    const store = await ManifestStore.open(found.files.manifest);
    const m = store.manifest;
    // Ours before the run looks active again, so that no reader sees `in_progress` with the dead owner's pid.
    writeRunOwner(found.files.dir);
    applyResumeReset(m, resolved.pipeline, { actor: request.actor, reason: request.reason, forced: refusal !== null, now: new Date() });
    const span = invocation.tracer.startRun({ runId: m.run_id, taskId, pipelineId, command: "resume", parentRunId: m.parent_run_id });
    const run = openRun(host, store, resolved.pipeline, span, 0);
    return { run, recorded: await executeRun(run) };
  });
}

/**
 * `resume` of an exec run (issue 22.6): its command runs again from the `exec` record of the manifest, in the same
 * run, with the same checks as a pipeline run (token, not succeeded, not active).
 */
async function resumeExecRun(request: ResumeRequest, found: FoundRun, hooks: PipelineHooks): Promise<PipelineResult> {
  const m = found.manifest;
  const record = m.exec;
  if (record === undefined) {
    throw new RunFailedError(`Run ${found.runId} is an exec run recorded before exec runs could be resumed (no exec record); run the command again.`);
  }
  const refusal = await checkResumable(request, found);
  const recordedPolicy = m.approval_policy;
  const outcome = await runExec(
    {
      argv: record.argv,
      env: request.env,
      cwd: request.cwd,
      task: validateTaskId(m.task_id, "manifest task_id"),
      commandCwd: record.cwd,
      tty: record.tty,
      session: record.session ?? undefined,
      sandbox: record.sandbox ?? undefined,
      approvalPolicy: recordedPolicy !== null && isApprovalPolicy(recordedPolicy) ? recordedPolicy : undefined,
      requireApproval: record.require_approval,
      timeoutSeconds: record.timeout_seconds ?? undefined,
      outputSchema: record.output_schema ?? undefined,
      notify: request.notify,
      otelEndpoint: request.otelEndpoint,
      quiet: false,
      maxOutputBytes: request.maxOutputBytes,
      resume: { manifestPath: found.files.manifest, actor: request.actor, reason: request.reason, forced: refusal !== null },
    },
    { prepared: (invocation) => hooks.prepared?.(invocation) },
  );
  if (outcome.failure !== null) process.stderr.write(`${outcome.failure}\n`);
  const manifest = outcome.manifest;
  return {
    exitCode: outcome.exitCode,
    runId: outcome.runId,
    status: outcome.status as PipelineResult["status"],
    artifactRoot: manifest.artifact_root,
    logPath: manifest.log_path,
    manifest,
    manifestPath: outcome.manifestPath,
    failure: outcome.status === "failed" ? await describeFailure(resolveStoreRoots({ env: request.env, cwd: request.cwd }), manifest) : null,
  };
}

function recordedPipeline(manifest: Manifest): RecordedPipeline {
  return {
    pipelineId: manifest.pipeline_id,
    hash: manifest.pipeline_hash ?? null,
    stages: manifest.commands.map((c) => ({ id: c.id, definitionHash: c.definition_hash ?? null })),
  };
}
