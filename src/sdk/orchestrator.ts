/**
 * The `Orchestrator` client: streamed `exec` and `start` runs with typed events, `status`, `plan`, `resume`, and the
 * retry helper. It only spawns the binary and reads what the CLI prints; the CLI does all the work.
 */
import type { RunSummaryPayload } from "../core/schemas/events.ts";
import { resolveBinary } from "./binary.ts";
import { commandError, parseJsonOutput, runCliCommand } from "./cli-command.ts";
import { type EnvOverrides, mergeEnv } from "./cli-process.ts";
import { type ExecOptions, type StartOptions, execArgs, startArgs } from "./options.ts";
import type { PlanDocument, StatusReport } from "./reports.ts";
import { RunHandle } from "./run-handle.ts";

export type OrchestratorOptions = {
  /** The executable; default: `CODEX_ORCHESTRATOR_BIN`, the package's binary, then `codex-orchestrator` on PATH. */
  binaryPath?: string;
  /** The repository root the CLI runs in (runs are stored under it); default: the current directory. */
  cwd?: string;
  /** Added to `process.env` for every command (`undefined` removes a variable). */
  env?: EnvOverrides;
};

export type StatusOptions = { task?: string; env?: EnvOverrides; signal?: AbortSignal };

export type PlanOptions = { task?: string; env?: EnvOverrides; signal?: AbortSignal };

export type ResumeOptions = {
  /** `--task`; taken from a summary or status report when one is passed instead of a run id. */
  task?: string;
  /** `--token`: must match the run's resume token when given. */
  token?: string;
  /** `--force`: resume even if the run's heartbeat is fresh. */
  force?: boolean;
  /** `--actor` / `--reason` recorded in `resume_events`. */
  actor?: string;
  reason?: string;
  notify?: string | readonly string[];
  otelEndpoint?: string;
  env?: EnvOverrides;
  /** Aborting sends SIGTERM: the resumed run ends `cancelled` (and can be resumed again). */
  signal?: AbortSignal;
};

/** What `retry` can change: any exec option, and the command itself. */
export type RetryOverrides = ExecOptions & { command?: string; args?: string[] };

/** A run to resume: its id, its `run:summary` payload, or its status report. */
export type RunRef = string | Pick<RunSummaryPayload, "run"> | Pick<StatusReport, "run_id">;

/** Drives the codex-orchestrator binary from Node ≥ 20, Bun or Deno. */
export class Orchestrator {
  readonly #options: OrchestratorOptions;
  #binary: Promise<string> | undefined;

  /** Creates a client; the binary is located on first use. */
  constructor(options: OrchestratorOptions = {}) {
    this.#options = { ...options };
  }

  /** The absolute path of the executable this client runs (rejects with `BinaryNotFoundError`). */
  binary(): Promise<string> {
    if (this.#binary === undefined) {
      this.#binary = resolveBinary({ binaryPath: this.#options.binaryPath, env: mergeEnv(this.#options.env), cwd: this.#options.cwd });
      // A failed lookup is retried next time (the binary may have been installed meanwhile).
      this.#binary.catch(() => {
        this.#binary = undefined;
      });
    }
    return this.#binary;
  }

  /** Runs one command (`exec --jsonl`); iterate the handle for events, await `result` for the summary. */
  exec(command: string, args: readonly string[] = [], options: ExecOptions = {}): RunHandle {
    if (typeof command !== "string" || command === "") throw new TypeError("exec requires a command to run.");
    return this.#stream(execArgs(command, args, options), options);
  }

  /** Runs a pipeline (`start --format jsonl`; default pipeline when omitted): stage, exec and summary events. */
  start(pipeline?: string, options: StartOptions = {}): RunHandle {
    return this.#stream(startArgs(pipeline, options), options);
  }

  /** Re-runs the command of a finished exec (argv, cwd, task, notify, sandbox, tty, session) with overrides. */
  retry(summary: RunSummaryPayload, overrides: RetryOverrides = {}): RunHandle {
    const { command, args, ...options } = overrides;
    const argv = summary.command?.argv ?? [];
    const base: ExecOptions = {
      task: summary.run.taskId,
      cwd: summary.command?.cwd,
      notify: summary.notifications.targets,
    };
    if (summary.command?.sandboxMode) base.sandbox = summary.command.sandboxMode;
    if (summary.command?.persisted) base.session = summary.command.sessionId;
    else if (summary.command?.tty) base.tty = true;
    const retried = command ?? argv[0] ?? summary.command?.shell;
    if (!retried) throw new TypeError("retry needs an exec summary (this one has no command).");
    return this.exec(retried, args ?? (command === undefined ? argv.slice(1) : []), { ...base, ...options });
  }

  /** `status --format json` of a run (searches every task unless `task` is given). */
  async status(runId: string, options: StatusOptions = {}): Promise<StatusReport> {
    const args = ["status", "--format", "json", "--run", runId];
    if (options.task !== undefined) args.push("--task", options.task);
    return parseJsonOutput<StatusReport>(args, await this.#run(args, options.env, options.signal));
  }

  /** `plan --format json`: the stages a pipeline would run (default pipeline when omitted); writes nothing. */
  async plan(pipeline?: string, options: PlanOptions = {}): Promise<PlanDocument> {
    const args = ["plan", "--format", "json"];
    if (options.task !== undefined) args.push("--task", options.task);
    if (pipeline !== undefined) args.push("--", pipeline);
    return parseJsonOutput<PlanDocument>(args, await this.#run(args, options.env, options.signal));
  }

  /**
   * Resumes a failed, cancelled or stale pipeline run and waits for it to finish; resolves with its final status
   * report (a run that fails again resolves too, with status `failed`). Throws `CliCommandError` when the CLI refuses
   * (unknown run, token mismatch, run still active without `force`).
   */
  async resume(run: RunRef, options: ResumeOptions = {}): Promise<StatusReport> {
    const ref = runRefOf(run);
    const task = options.task ?? ref.task;
    const args = ["resume", "--run", ref.runId];
    if (task !== undefined) args.push("--task", task);
    if (options.token !== undefined) args.push("--token", options.token);
    if (options.force === true) args.push("--force");
    if (options.actor !== undefined) args.push("--actor", options.actor);
    if (options.reason !== undefined) args.push("--reason", options.reason);
    const notify = typeof options.notify === "string" ? [options.notify] : (options.notify ?? []);
    for (const target of notify) args.push("--notify", target);
    if (options.otelEndpoint !== undefined) args.push("--otel-endpoint", options.otelEndpoint);
    const output = await this.#run(args, options.env, options.signal);
    // A resumed run prints `Status: <status>` whatever its outcome (exit 0, 1, 130, 143); a refusal prints nothing.
    if (!/^Status: /m.test(output.stdout)) throw commandError(args, output);
    return this.status(ref.runId, { task, env: options.env });
  }

  /** The binary's version (`--version`). */
  async version(): Promise<string> {
    const args = ["--version"];
    const output = await this.#run(args);
    if (output.code !== 0) throw commandError(args, output);
    return output.stdout.trim();
  }

  #env(extra: EnvOverrides | undefined): Record<string, string> {
    return mergeEnv(this.#options.env, extra);
  }

  #stream(args: string[], options: ExecOptions | StartOptions): RunHandle {
    const input = "stdin" in options ? options.stdin : undefined;
    const spawnOptions = { cwd: this.#options.cwd, env: this.#env(options.env), ...(input === undefined ? {} : { input }) };
    return new RunHandle(this.binary(), args, spawnOptions, options);
  }

  async #run(args: string[], env?: EnvOverrides, signal?: AbortSignal) {
    return runCliCommand(await this.binary(), args, { cwd: this.#options.cwd, env: this.#env(env), signal });
  }
}

function runRefOf(run: RunRef): { runId: string; task?: string } {
  if (typeof run === "string") return { runId: run };
  if ("run" in run) return { runId: run.run.id, task: run.run.taskId };
  return { runId: run.run_id };
}
