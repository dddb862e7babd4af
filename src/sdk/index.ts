/**
 * `codex-orchestrator/sdk`: drive the codex-orchestrator binary from Node ≥ 20, Bun or Deno through the JSONL it
 * prints. `Orchestrator` is the typed client; `ExecClient` is the compatibility layer of the original SDK.
 */
export { EVENT_SCHEMA_VERSION } from "../core/schemas/events.ts";
export type {
  EventType,
  EventPayload,
  ExecBeginPayload,
  ExecChunkPayload,
  ExecEndPayload,
  ExecRetryPayload,
  OrchestratorEvent,
  RunSummaryPayload,
  StageBeginPayload,
  StageEndPayload,
} from "../core/schemas/events.ts";
export { BINARY_ENV, BINARY_NAME, type ResolveBinaryOptions, resolveBinary } from "./binary.ts";
export type { EnvOverrides } from "./cli-process.ts";
export {
  AbortedBeforeStartError,
  BinaryNotFoundError,
  CliCommandError,
  EventVersionError,
  OrchestratorSdkError,
  RunWithoutSummaryError,
} from "./errors.ts";
export {
  ExecClient,
  type ExecClientOptions,
  type ExecCommandOptions,
  type ExecExit,
  ExecRunHandle,
  type ExecRunResult,
  deriveRetryOptions,
} from "./exec-client.ts";
export { type JsonlItem, JsonlLineParser, type RawEvent, parseLine } from "./jsonl-parser.ts";
export type { ExecOptions, RunOptions, StartOptions } from "./options.ts";
export {
  Orchestrator,
  type OrchestratorOptions,
  type PlanOptions,
  type ResumeOptions,
  type RetryOverrides,
  type RunRef,
  type StatusOptions,
} from "./orchestrator.ts";
export type { PlanDocument, PlanItem, PlanStage, StatusReport } from "./reports.ts";
export { type RunExit, RunHandle } from "./run-handle.ts";
