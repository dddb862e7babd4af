/**
 * Options of the `Orchestrator` client, named like the CLI flags they become (SPEC §5.1, §5.5), and the argv builders.
 */
import type { ApprovalPolicy, SandboxMode } from "../core/schemas/common.ts";
import type { EnvOverrides } from "./cli-process.ts";

/** Options shared by every streamed run (`exec`, `start`). */
export type RunOptions = {
  /** `--task`: the task id the run is recorded under. */
  task?: string;
  /** Added to the client's environment for this run (`undefined` removes a variable). */
  env?: EnvOverrides;
  /** `--notify`: notification targets (`https://…` or `cmd:…`). */
  notify?: string | readonly string[];
  /** `--otel-endpoint`: OTLP/HTTP traces endpoint. */
  otelEndpoint?: string;
  /** `--approval-policy`. */
  approvalPolicy?: ApprovalPolicy | (string & {});
  /** Aborting sends SIGTERM to the CLI: the run ends `cancelled` and `result` still resolves with its summary. */
  signal?: AbortSignal;
  /** Called for each stdout line that is not an event (such lines are never fatal). */
  onWarning?: (error: Error) => void;
  /** Called with each raw stderr chunk of the CLI (its warnings). */
  onStderr?: (chunk: string) => void;
};

/** Options of `exec` (SPEC §5.5). */
export type ExecOptions = RunOptions & {
  /** `--cwd`: the command's working directory (relative to the client's `cwd`). */
  cwd?: string;
  /** `--sandbox`. */
  sandbox?: SandboxMode | (string & {});
  /** `--sandbox-network`: keep the network on inside the sandbox. */
  sandboxNetwork?: boolean;
  /** `--sandbox-backend`: `auto` (default), `landlock` or `bwrap`. */
  sandboxBackend?: "auto" | "landlock" | "bwrap" | (string & {});
  /** `--sandbox-fallback`: `fail` (default: nothing runs when the sandbox cannot be enforced) or `unsandboxed`. */
  sandboxFallback?: "fail" | "unsandboxed" | (string & {});
  /** `--session`: run inside the persistent PTY shell with this id (implies a TTY). */
  session?: string;
  /** `--tty`: run on a pseudo-terminal. */
  tty?: boolean;
  /**
   * `--stdin`: these bytes are the command's stdin (then end of input). Without it the command reads an empty stdin.
   * Not with `tty` or `session` (the CLI refuses: the command's stdin is then the pseudo-terminal).
   */
  stdin?: string | Uint8Array;
  /** `--timeout`: seconds before the command gets SIGTERM (then SIGKILL). */
  timeout?: number;
  /** `--output-schema`: JSON Schema file that the command's stdout is validated against. */
  outputSchema?: string;
  /** `--quiet`: suppress the CLI's own warning lines on stderr. */
  quiet?: boolean;
};

/** Options of `start` (SPEC §5.1). */
export type StartOptions = RunOptions & {
  /** `--parent-run`: stored as `parent_run_id`. */
  parentRun?: string;
};

function pushRunFlags(args: string[], options: RunOptions): void {
  if (options.task !== undefined) args.push("--task", options.task);
  if (options.otelEndpoint !== undefined) args.push("--otel-endpoint", options.otelEndpoint);
  const notify = typeof options.notify === "string" ? [options.notify] : (options.notify ?? []);
  for (const target of notify) args.push("--notify", target);
  if (options.approvalPolicy !== undefined) args.push("--approval-policy", options.approvalPolicy);
}

/** `exec --jsonl <flags> -- <command> <args…>`; everything after `--` reaches the command untouched. */
export function execArgs(command: string, commandArgs: readonly string[], options: ExecOptions): string[] {
  const args = ["exec", "--jsonl"];
  pushRunFlags(args, options);
  if (options.cwd !== undefined) args.push("--cwd", options.cwd);
  if (options.sandbox !== undefined) args.push("--sandbox", options.sandbox);
  if (options.sandboxNetwork === true) args.push("--sandbox-network");
  if (options.sandboxBackend !== undefined) args.push("--sandbox-backend", options.sandboxBackend);
  if (options.sandboxFallback !== undefined) args.push("--sandbox-fallback", options.sandboxFallback);
  if (options.session !== undefined) args.push("--session", options.session);
  if (options.tty === true) args.push("--tty");
  if (options.stdin !== undefined) args.push("--stdin");
  if (options.timeout !== undefined) args.push("--timeout", String(options.timeout));
  if (options.outputSchema !== undefined) args.push("--output-schema", options.outputSchema);
  if (options.quiet === true) args.push("--quiet");
  args.push("--", command, ...commandArgs);
  return args;
}

/** `start --format jsonl <flags> [-- <pipeline>]`. */
export function startArgs(pipeline: string | undefined, options: StartOptions): string[] {
  const args = ["start", "--format", "jsonl"];
  pushRunFlags(args, options);
  if (options.parentRun !== undefined) args.push("--parent-run", options.parentRun);
  if (pipeline !== undefined) args.push("--", pipeline);
  return args;
}
