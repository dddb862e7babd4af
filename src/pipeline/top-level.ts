import { cancelExitCode } from "../core/cancel-signal.ts";
import { RunFailedError } from "../core/errors.ts";
import type { Manifest } from "../core/schemas/manifest.ts";
import { storeFaultLine } from "../run/run-log.ts";
import { installSignalHandlers } from "./cancel-scope.ts";
import type { FailureReport } from "./failure-report.ts";
import { pipelineSummaryPayload } from "./pipeline-summary-payload.ts";
import type { RecordedRun } from "./finalize.ts";
import type { Invocation } from "./invocation.ts";
import { summaryRecords } from "../run/summary-records.ts";
import { closeRun, runStoreFault } from "./pipeline-run.ts";
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
 * Runs `body` as the top-level invocation of `start`, `resume` or `exec`: one session manager for every run of the
 * process, signal handlers for cancellation (SPEC §13), and the end of §9.1 step 6 / §14.1 steps 5–6 — the
 * `run:summary` event onto the stream, where the notifier completes it (notifications, `first`), the printers print
 * it and, for an exec run, its records react to it; then the telemetry flush (bounded to 2 s) and the run's close.
 * Sessions are disposed whatever happens.
 */
export async function withPipelineHost(
  invocation: Invocation,
  options: { cwd: string; command: "start" | "resume" | "exec"; approvalPolicy: string | null; only?: ReadonlySet<string> | null },
  body: (host: PipelineHost) => Promise<{ run: ActiveRun; recorded: RecordedRun }>,
): Promise<PipelineResult> {
  // An exec run has no pipeline stages to share sessions between (`exec --session` talks to the session host).
  // What only some runs need is loaded when they need it (start-up, issue 21): the session manager (pipelines), child
  // runs (sub-pipeline stages), the stage cache's eviction, the notifier, the failure report.
  const sessions =
    options.command === "exec"
      ? null
      : new (await import("../exec/session-manager.ts")).SessionManager({ env: stageBaseEnv(invocation.env), cwd: invocation.roots.repo, idleMs: 0 });
  const host: PipelineHost = {
    invocation,
    sessions,
    cwd: options.cwd,
    command: options.command,
    approvalPolicy: options.approvalPolicy,
    only: options.only ?? null,
    runSubpipeline: async (...args) => (await import("./child-run.ts")).runSubpipelineStage(...args),
  };
  const removeSignals = invocation.handleSignals ? installSignalHandlers(invocation.cancel) : () => {};
  try {
    const { run, recorded } = await body(host);
    // An exec run never consults the stage cache (its one stage has no `inputs`).
    if (run.exec === undefined) await (await import("./stage-cache.ts")).evictAfterRun(invocation);
    const { log } = run.runtime;
    const { store } = run;
    // A run store that could not be written (issue 10, B2) is the command's one error line, printed last.
    if (recorded.crash !== null && (log.failure ?? runStoreFault(host)) === null) invocation.logger.warn(`Execution error: ${recorded.crash}`);
    const m = store.manifest;
    const payload = run.exec === undefined ? pipelineSummaryPayload(run, recorded.status) : run.exec.summaryPayload(run, recorded.status);
    const event = invocation.events.envelope("run:summary", payload);
    const offNotifier =
      invocation.notifyTargets.length === 0
        ? () => {}
        : invocation.events.subscribe(
            (await import("../telemetry/run-notifier.ts")).runNotifier(
              m.run_id,
              invocation.notifyTargets,
              { repo: invocation.roots.repo, warn: invocation.logger.plain, env: invocation.env },
              async (record) => {
                m.notifications = record;
                await log.tolerate(store.save());
              },
            ),
            { first: true },
          );
    const offRecords =
      run.exec === undefined ? () => {} : invocation.events.subscribe(summaryRecords(store, log, invocation.roots, log.quiet(invocation.logger.warn)));
    try {
      await invocation.events.dispatch(event);
    } finally {
      offNotifier();
      offRecords();
    }
    await invocation.tracer.shutdown();
    await closeRun(run);
    const fault = runStoreFault(host);
    if (fault !== null) throw new RunFailedError(storeFaultLine(invocation.roots.runs, fault), { cause: fault.error });
    const signal = invocation.cancel.signal;
    const exitCode =
      run.exec !== undefined
        ? run.exec.exitCode(run, recorded.status)
        : recorded.status === "succeeded"
          ? 0
          : recorded.status === "failed"
            ? 1
            : cancelExitCode(signal ?? "SIGTERM");
    return {
      exitCode,
      runId: m.run_id,
      status: recorded.status,
      artifactRoot: m.artifact_root,
      logPath: m.log_path,
      manifest: m,
      manifestPath: store.files.manifest,
      failure: recorded.status === "failed" && run.exec === undefined ? await (await import("./failure-report.ts")).describeFailure(invocation.roots, m) : null,
    };
  } finally {
    await host.sessions?.disposeAll().catch(() => undefined);
    removeSignals();
  }
}
