/**
 * What a command stage runs with: the run's shared runtime and the stage itself (a pipeline stage, or the single stage
 * of `exec`). Apart from the stage runner so the attempt loop can use them without importing the runner.
 */
import type { RetryInfo, ToolOrchestrator } from "../autonomy/tool-orchestrator.ts";
import type { EventStream } from "../core/event-stream.ts";
import type { SandboxMode } from "../core/schemas/common.ts";
import type { AttemptInput } from "../exec/attempt.ts";
import type { ManifestStore } from "../run/manifest-store.ts";
import type { StoreRoots } from "../run/paths.ts";
import type { RunLog } from "../run/run-log.ts";
import type { RunRecorder } from "../run/run-recorder.ts";
import type { ExecSpans } from "../telemetry/exec-spans.ts";
import type { RunSpan } from "../telemetry/span-types.ts";
import type { CancelScope } from "./cancel-scope.ts";
import type { ShellHandle } from "./shell-attempt.ts";

/** What every command stage of one run shares. */
export type RunRuntime = {
  roots: StoreRoots;
  store: ManifestStore;
  log: RunLog;
  /** The run's recorder: subscribed to `events` while the run is open, it writes the stage logs. */
  recorder: RunRecorder;
  events: EventStream;
  /** The invocation's span subscriber (a stage lends it its span while it runs); null with telemetry off. */
  spans: ExecSpans | null;
  orchestrator: ToolOrchestrator;
  runSpan: RunSpan;
  cancel: CancelScope;
  runId: string;
  taskId: string;
  pipelineId: string;
  /** Warning line on stderr (already prefixed as it should appear). */
  warn: (line: string) => void;
  /** Who asked for the run, handed to hooks (`exec`, `stage`, `mcp`); default from the pipeline id. */
  origin?: string;
  /** Where the orchestrator's `onRetry` goes: set by the stage that is running (one invocation at a time). */
  retryTargets: Map<string, (info: RetryInfo) => Promise<void>>;
};

/** One command stage (a pipeline stage, or the single stage of `exec`). */
export type CommandStage = {
  index: number;
  id: string;
  title: string;
  /** The manifest `command` and `exec:begin.command`: the shell line (stages) or the display string (exec). */
  command: string;
  /** What is spawned: `["/bin/sh","-c",command]` for stages, the argv for exec. */
  argv: string[];
  /** `exec:begin.args` (`[]` for exec and stages). */
  args: string[];
  cwd: string;
  /** Full environment of a spawned attempt. */
  env: Record<string, string>;
  /** Only the stage's own `env` overrides: what a live session shell exports before the command. */
  envOverrides?: Record<string, string>;
  summaryHint?: string | null;
  allowFailure?: boolean;
  timeoutSeconds?: number | null;
  tty?: { cols: number; rows: number } | null;
  /** Typing into the terminal of a `tty` stage while it runs (MCP `write_stdin`). */
  input?: AttemptInput;
  /** The orchestrator's stdin is passed through to the command (`exec`, not under a TTY); else /dev/null. */
  stdin?: boolean;
  session: { id: string; persisted: boolean; reused: boolean; shell: ShellHandle | null };
  sandboxMode: SandboxMode | null;
  /** The network stays on inside the sandbox (`--sandbox-network`, config `{"mode": …, "network": true}`). */
  networkAllowed?: boolean;
  approvalRequired?: boolean;
  approvalKey?: string | null;
  /** Extra writable roots under workspace-write (the repository root). */
  writableRoots?: string[];
};
