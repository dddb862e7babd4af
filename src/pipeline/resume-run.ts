import { RunFailedError } from "../core/errors.ts";
import { isApprovalPolicy } from "../autonomy/approval-policy.ts";
import { validateTaskId } from "../core/ids.ts";
import { readActivity } from "../run/activity.ts";
import { ManifestStore } from "../run/manifest-store.ts";
import { resolveStoreRoots } from "../run/paths.ts";
import { findRun } from "../run/run-lookup.ts";
import { prepareInvocation } from "./invocation.ts";
import { executeRun, openRun } from "./pipeline-run.ts";
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
};

/**
 * `resume` (SPEC §12). Steps 1–5 (lookup, task, pipeline, token, activity) only read; any failure there leaves the
 * manifest untouched. Then the accepted resume is recorded, the run reset, and the executor reruns every entry that
 * is not `succeeded`/`skipped`; the run is finished like `start`.
 */
export async function runResume(request: ResumeRequest, hooks: PipelineHooks = {}): Promise<PipelineResult> {
  const roots = resolveStoreRoots({ env: request.env, cwd: request.cwd });
  const task = request.task === undefined ? undefined : validateTaskId(request.task, "--task");
  const found = await findRun(roots, request.runId, { task, env: request.env });
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
  });
  const pipelineId = found.manifest.pipeline_id;
  const resolved = findPipeline(invocation.config?.config ?? null, pipelineId);
  if (resolved === null) throw pipelineNotFound(pipelineId);
  const stored = await storedResumeToken(found.manifest.resume_token, found.files.resumeToken, found.runId);
  checkResumeToken(request.token, stored);
  const refusal = activeRunRefusal(found.manifest, await readActivity(found.manifest, found.files.heartbeat));
  if (refusal !== null && !request.force) throw new RunFailedError(refusal);
  await hooks.prepared?.(invocation);

  return withPipelineHost(invocation, { cwd: request.cwd, command: "resume", approvalPolicy: recorded }, async (host) => {
    const store = await ManifestStore.open(found.files.manifest);
    const m = store.manifest;
    applyResumeReset(m, resolved.pipeline, { actor: request.actor, reason: request.reason, forced: refusal !== null, now: new Date() });
    const span = invocation.tracer.startRun({ runId: m.run_id, taskId, pipelineId, command: "resume", parentRunId: m.parent_run_id });
    const run = openRun(host, store, resolved.pipeline, span, 0);
    return { run, recorded: await executeRun(run) };
  });
}
