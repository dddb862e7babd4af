import * as v from "valibot";
import { RunFailedError } from "../core/errors.ts";
import { ToolRunRecord } from "../core/schemas/tool-run.ts";
import type { ToolOutcome } from "./tool-orchestrator.ts";

/** SPEC §16.3 id of a stage's (or exec's, stage `exec`) tool invocation. */
export function toolInvocationId(runId: string, stageId: string, epochMs: number): string {
  return `cli-command:${runId}:${stageId}:${epochMs}`;
}

/** What the caller knows about the command (SPEC §16.3 metadata); the autonomy fields are added from the outcome. */
export type ToolRunMetadataInput = {
  stageId: string;
  pipelineId: string;
  runId: string;
  commandIndex: number;
  command: string;
  args: string[];
  cwd: string;
  sessionId: string;
  correlationId: string;
  persisted: boolean;
  timeoutSeconds?: number | null;
  exec?: {
    command: string;
    args: string[];
    cwd: string;
    sessionId: string;
    persisted: boolean;
    correlationId: string;
    exitCode: number | null;
    signal: string | null;
  };
  [extra: string]: unknown;
};

/**
 * The manifest record of one finished invocation (without `events`). Only keys go in — the approval key, never what
 * was typed at a prompt.
 */
export function buildToolRunRecord(outcome: ToolOutcome<unknown>, metadata: ToolRunMetadataInput): ToolRunRecord {
  const escalation = outcome.approvals.find((a) => a.kind === "escalate");
  return sanitizeToolRunRecord({
    id: outcome.invocationId,
    tool: outcome.tool,
    approvalSource: outcome.approvalSource,
    retryCount: outcome.retryCount,
    attemptCount: outcome.attempts,
    sandboxState: outcome.sandboxState,
    status: outcome.status,
    startedAt: outcome.startedAt,
    completedAt: outcome.completedAt,
    metadata: {
      ...metadata,
      sandboxMode: outcome.requestedSandboxMode,
      sandboxBackend: outcome.sandboxBackend,
      approvalPolicy: outcome.policy,
      approvalKey: outcome.approvalKey,
      ...(escalation ? { escalationKey: escalation.key } : {}),
    },
  });
}

/** SPEC §16.3 sanitation before a record is stored; the messages are the contract's. */
export function sanitizeToolRunRecord(raw: unknown): ToolRunRecord {
  const record = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  if (typeof record.id !== "string" || record.id === "") throw new RunFailedError("Tool run record must include an id.");
  if (typeof record.tool !== "string" || record.tool === "") {
    throw new RunFailedError("Tool run record must include a tool.");
  }
  const retryCount = typeof record.retryCount === "number" ? Math.max(0, Math.trunc(record.retryCount)) : 0;
  const attemptCount =
    typeof record.attemptCount === "number" ? Math.max(1, Math.trunc(record.attemptCount)) : retryCount + 1;
  const parsed = v.safeParse(ToolRunRecord, { ...record, retryCount, attemptCount });
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const pointer = (issue.path ?? []).map((item) => `/${String(item.key)}`).join("");
    throw new RunFailedError(`Invalid tool run record ${record.id}: ${pointer}: ${issue.message}`);
  }
  return parsed.output;
}

/** Manifest `toolRuns[]` upsert by id with a shallow merge (SPEC §16.3). */
export function upsertToolRun(records: readonly ToolRunRecord[], record: ToolRunRecord): ToolRunRecord[] {
  const index = records.findIndex((r) => r.id === record.id);
  if (index === -1) return [...records, record];
  const merged = records.slice();
  merged[index] = { ...records[index], ...record } as ToolRunRecord;
  return merged;
}
