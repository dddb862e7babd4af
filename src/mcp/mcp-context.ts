import type { ApprovalPrompter } from "../autonomy/approval-prompter.ts";
import type { SandboxMode } from "../core/schemas/common.ts";
import type { CancelScope } from "../pipeline/cancel-scope.ts";
import { LOG_PREFIX, type Logger } from "../pipeline/invocation.ts";
import type { LiveExecs } from "./live-execs.ts";

/** What every call of one MCP server shares (issue 19). */
export type McpContext = {
  /** The server's working directory: the repository its runs belong to. */
  cwd: string;
  env: Record<string, string | undefined>;
  /** `--task`, else MCP_RUNNER_TASK_ID. */
  task: string | undefined;
  taskId: string;
  runsRoot: string;
  /** `--approval-policy` of the server: the agent cannot change it. */
  approvalPolicy: string | undefined;
  /** The server's sandbox (`--sandbox`, else the user-global `sandboxMode`): an exec asking for a looser one needs approval. */
  sandbox: SandboxMode | null;
  live: LiveExecs;
  /** Every run in progress, so that the server can cancel them all when it stops. */
  active: Set<CancelScope>;
};

/** What one tool call brings: who can be asked, its cancellation, where its progress goes. */
export type CallContext = {
  prompter: ApprovalPrompter | null;
  signal: AbortSignal;
  progress: ((progress: number, total: number | undefined, message: string) => void) | null;
};

/** The invocation's lines of a call: to the server's stderr (never stdout: that may be the protocol), and kept. */
export function callLogger(notes: string[]): Logger {
  const write = (line: string) => {
    notes.push(line);
    try {
      process.stderr.write(`${line}\n`);
    } catch {
      // A closed stderr must not fail the call.
    }
  };
  return {
    info: (m) => write(`${LOG_PREFIX}${m}`),
    warn: (m) => write(`${LOG_PREFIX}${m}`),
    plain: (l) => write(l),
  };
}
