/**
 * Span names and attribute keys (SPEC §20, issue 6). One list, so the guide (docs/guides/telemetry.md) and the tests
 * name exactly what the code writes.
 */
export const SPAN_NAMES = {
  run: "run",
  stage: (stageId: string) => `stage ${stageId}`,
  exec: "exec",
  retryEvent: "retry",
} as const;

export const ATTR = {
  // run
  runId: "codex_orchestrator.run_id",
  taskId: "codex_orchestrator.task_id",
  pipelineId: "codex_orchestrator.pipeline_id",
  command: "codex_orchestrator.command",
  parentRunId: "codex_orchestrator.parent_run_id",
  status: "codex_orchestrator.status",
  approvalReuse: "codex_orchestrator.approval_reuse",
  latencyP50: "codex_orchestrator.command_latency_ms.p50",
  latencyP95: "codex_orchestrator.command_latency_ms.p95",
  latencyMax: "codex_orchestrator.command_latency_ms.max",
  // stage
  stageId: "codex_orchestrator.stage_id",
  stageIndex: "codex_orchestrator.stage_index",
  stageTitle: "codex_orchestrator.stage_title",
  stageKind: "codex_orchestrator.stage_kind",
  stageStatus: "codex_orchestrator.stage_status",
  stageExitCode: "codex_orchestrator.stage_exit_code",
  // exec (one span per attempt)
  commandArgs: "process.command_args",
  exitCode: "process.exit_code",
  attempt: "codex_orchestrator.attempt",
  correlationId: "codex_orchestrator.correlation_id",
  sandboxState: "codex_orchestrator.sandbox_state",
  sandboxMode: "codex_orchestrator.sandbox_mode",
  approvalSource: "codex_orchestrator.approval_source",
  retryCount: "codex_orchestrator.retry_count",
  sessionId: "codex_orchestrator.session_id",
  signal: "codex_orchestrator.signal",
  execStatus: "codex_orchestrator.exec_status",
  timedOut: "codex_orchestrator.timed_out",
  spawnError: "codex_orchestrator.spawn_error",
  // a span still open when the tracer shut down (a crash or a cancellation that skipped `end`)
  incomplete: "codex_orchestrator.incomplete",
  // retry event
  retryAttempt: "attempt",
  retryDelayMs: "delay_ms",
  retryError: "error",
} as const;
