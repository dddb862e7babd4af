import { cancelExitCode } from "../core/cancel-signal.ts";
import { RunFailedError } from "../core/errors.ts";
import type { Manifest } from "../core/schemas/manifest.ts";
import { storeFaultLine } from "../run/run-log.ts";
import { SessionManager } from "../exec/session-manager.ts";
import { installSignalHandlers } from "./cancel-scope.ts";
import { runSubpipelineStage } from "./child-run.ts";
import { type FailureReport, describeFailure } from "./failure-report.ts";
import type { RecordedRun } from "./finalize.ts";
import type { Invocation } from "./invocation.ts";
import { notifyPipelineRun } from "./pipeline-notify.ts";
import { runStoreFault } from "./pipeline-run.ts";
import { evictAfterRun } from "./stage-cache.ts";
import { type ActiveRun, type PipelineHost, stageBaseEnv } from "./run-context.ts";

/** What `start`/`resume` print and exit with (SPEC §5.1, §5.4). */
export type PipelineResult = {
  exitCode: number;
  runId: string;
  status: "succeeded" | "failed" | "cancelled";
  /** rel(`<rundir>`). */
  artifactRoot: string;
  /** rel(`<rundir>/runner.ndjson`). */
  logPath: string;
  /** The final manifest and its absolute path (GitHub Actions outputs). */
  manifest: Manifest;
  manifestPath: string;
  /** The stage that failed the run (followed into child runs); null unless the run failed. */
  failure: FailureReport | null;
};

/** Hooks of the command: renderers subscribe to `invocation.events` once the inputs are valid, before any run exists. */
export type PipelineHooks = { prepared?(invocation: Invocation): void | Promise<void> };

/**
 * Runs `body` as the top-level pipeline invocation: one session manager for every run of the process, signal
 * handlers for cancellation (SPEC §13), and the end of §9.1 step 6 (notifications, the `run:summary` event,
 * telemetry flush bounded to 2 s). Sessions are disposed whatever happens.
 */
export async function withPipelineHost(
  invocation: Invocation,
  options: { cwd: string; command: "start" | "resume"; approvalPolicy: string | null; only?: ReadonlySet<string> | null },
  body: (host: PipelineHost) => Promise<{ run: ActiveRun; recorded: RecordedRun }>,
): Promise<PipelineResult> {
  const host: PipelineHost = {
    invocation,
    sessions: new SessionManager({ env: stageBaseEnv(invocation.env), cwd: invocation.roots.repo, idleMs: 0 }),
    cwd: options.cwd,
    command: options.command,
    approvalPolicy: options.approvalPolicy,
    only: options.only ?? null,
    runSubpipeline: runSubpipelineStage,
  };
  const removeSignals = invocation.handleSignals ? installSignalHandlers(invocation.cancel) : () => {};
  try {
    const { run, recorded } = await body(host);
    await evictAfterRun(invocation);
    // A run store that could not be written (issue 10, B2) is the command's one error line, printed last.
    const fault = runStoreFault(host);
    if (recorded.crash !== null && fault === null) invocation.logger.warn(`Execution error: ${recorded.crash}`);
    const event = await notifyPipelineRun(run, recorded.status).catch((error) => {
      if (fault === null) throw error;
      return null;
    });
    if (event !== null) await invocation.events.dispatch(event);
    await invocation.tracer.shutdown();
    if (fault !== null) throw new RunFailedError(storeFaultLine(invocation.roots.runs, fault), { cause: fault.error });
    const m = run.store.manifest;
    const signal = invocation.cancel.signal;
    const exitCode = recorded.status === "succeeded" ? 0 : recorded.status === "failed" ? 1 : cancelExitCode(signal ?? "SIGTERM");
    return {
      exitCode,
      runId: m.run_id,
      status: recorded.status,
      artifactRoot: m.artifact_root,
      logPath: m.log_path,
      manifest: m,
      manifestPath: run.store.files.manifest,
      failure: recorded.status === "failed" ? await describeFailure(invocation.roots, m) : null,
    };
  } finally {
    await host.sessions.disposeAll().catch(() => undefined);
    removeSignals();
  }
}
