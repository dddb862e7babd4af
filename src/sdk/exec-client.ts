/**
 * The compatibility layer (SPEC §21): `ExecClient`, `ExecRunHandle` and `deriveRetryOptions` behave like the original
 * SDK's, so programs written against it keep working. New code may prefer `Orchestrator` (typed async iteration).
 */
import { EventEmitter } from "node:events";
import type { RunSummaryPayload } from "../core/schemas/events.ts";
import { resolveBinary } from "./binary.ts";
import { CliProcess, type EnvOverrides, mergeEnv } from "./cli-process.ts";
import { EXEC_NO_SUMMARY_MESSAGE, RunWithoutSummaryError } from "./errors.ts";
import type { RawEvent } from "./jsonl-parser.ts";

export type ExecClientOptions = {
  /** The executable; default: `CODEX_ORCHESTRATOR_BIN`, the package's binary, then `codex-orchestrator` on PATH. */
  cliPath?: string;
  /** Working directory of the CLI process (its repository root); default: the current directory. */
  cwd?: string;
  /** Added to `process.env` for every run (`undefined` removes a variable). */
  env?: EnvOverrides;
};

export type ExecCommandOptions = {
  command: string;
  args?: string[];
  /** The command's working directory (`--cwd`). */
  cwd?: string;
  env?: EnvOverrides;
  notify?: string[];
  otelEndpoint?: string;
  taskId?: string;
};

export type ExecRunResult = {
  summary: RunSummaryPayload;
  /** The events up to and including the summary. */
  events: RawEvent[];
  exitCode: number | null;
  status: RunSummaryPayload["status"];
  /** `run.manifest` of the summary, relative to the CLI's repository root. */
  manifestPath: string;
  rawStderr: string;
};

export type ExecExit = { code: number | null; signal: string | null };

/** Runs `exec` through the CLI and exposes its JSONL events (compatibility layer of SPEC §21). */
export class ExecClient {
  readonly #options: ExecClientOptions;

  /** Creates a client; nothing is spawned until `run`. */
  constructor(options: ExecClientOptions = {}) {
    this.#options = { ...options };
  }

  /** Starts `exec --jsonl … -- <command> <args…>` and returns its handle; throws when `command` is empty. */
  run(options: ExecCommandOptions): ExecRunHandle {
    if (!options || typeof options.command !== "string" || options.command === "") {
      throw new Error("Exec command requires a command to run.");
    }
    return new ExecRunHandle(this, this.#options, { ...options });
  }
}

/** Builds the CLI arguments in the order of SPEC §21. */
export function execClientArgs(options: ExecCommandOptions): string[] {
  const args = ["exec", "--jsonl"];
  if (options.taskId !== undefined) args.push("--task", options.taskId);
  if (options.cwd !== undefined) args.push("--cwd", options.cwd);
  if (options.otelEndpoint !== undefined) args.push("--otel-endpoint", options.otelEndpoint);
  for (const target of options.notify ?? []) args.push("--notify", target);
  args.push("--", options.command, ...(options.args ?? []));
  return args;
}

/**
 * One exec run. Events: `event` (each JSONL event), `summary` (the `run:summary` payload), `warning` (an unparsable
 * line), `stderr` (raw chunks), `error` (spawn failure, newer envelope version), `exit` ({code, signal}).
 */
export class ExecRunHandle extends EventEmitter {
  readonly #client: ExecClient;
  readonly #options: ExecCommandOptions;
  readonly #events: RawEvent[] = [];
  readonly #process: CliProcess;
  readonly #result: Promise<ExecRunResult>;
  #summary: RunSummaryPayload | null = null;
  #stderr = "";
  #settled = false;
  #cancelled = false;

  /** Spawns the CLI; use `ExecClient.run` instead of calling this directly. */
  constructor(client: ExecClient, clientOptions: ExecClientOptions, options: ExecCommandOptions) {
    super();
    this.#client = client;
    this.#options = options;
    let resolve!: (result: ExecRunResult) => void;
    let reject!: (error: Error) => void;
    this.#result = new Promise<ExecRunResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Callers that only listen to events must not crash on an unobserved rejection.
    this.#result.catch(() => {});
    const settle = (fn: () => void) => {
      if (this.#settled) return;
      this.#settled = true;
      fn();
    };
    const baseEnv = mergeEnv(clientOptions.env);
    const binary = resolveBinary({ binaryPath: clientOptions.cliPath, env: baseEnv, cwd: clientOptions.cwd });
    this.#process = new CliProcess(binary, execClientArgs(options), { cwd: clientOptions.cwd, env: mergeEnv(baseEnv, options.env) }, {
      event: (event) => {
        this.#events.push(event);
        this.emit("event", event);
        if (event.type === "run:summary" && this.#summary === null) {
          const summary = event.payload as RunSummaryPayload;
          this.#summary = summary;
          settle(() => resolve(this.#resultOf(summary)));
          this.emit("summary", summary);
        }
      },
      warning: (error) => this.emit("warning", error),
      stderr: (chunk) => {
        this.#stderr += chunk;
        this.emit("stderr", chunk);
      },
      fatal: (error) => {
        // EventEmitter throws on an `error` nobody listens to; the rejected `result` already reports it.
        if (this.listenerCount("error") > 0) this.emit("error", error);
        settle(() => reject(error));
      },
      close: ({ code, signal, spawned }) => {
        if (spawned) this.emit("exit", { code, signal } satisfies ExecExit);
        settle(() => reject(new RunWithoutSummaryError(EXEC_NO_SUMMARY_MESSAGE, { exitCode: code, signal, stderr: this.#process.stderr })));
      },
    });
  }

  /** All events received so far (live array). */
  get events(): RawEvent[] {
    return this.#events;
  }

  /** The `run:summary` payload once received, else null. */
  get summary(): RunSummaryPayload | null {
    return this.#summary;
  }

  /** Resolves as soon as `run:summary` arrives; rejects on spawn failure or an exit without summary. */
  get result(): Promise<ExecRunResult> {
    return this.#result;
  }

  /** Signals the CLI once (default SIGTERM): the run ends `cancelled` and its summary still arrives. */
  cancel(signal: NodeJS.Signals = "SIGTERM"): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#process.kill(signal);
  }

  /** Starts a new run with the original options overlaid by `overrides`. */
  retry(overrides: Partial<ExecCommandOptions> = {}): ExecRunHandle {
    return this.#client.run({ ...this.#options, ...overrides });
  }

  #resultOf(summary: RunSummaryPayload): ExecRunResult {
    return {
      summary,
      events: [...this.#events],
      exitCode: summary.result?.exitCode ?? null,
      status: summary.status,
      manifestPath: summary.run.manifest,
      rawStderr: this.#stderr.trim(),
    };
  }
}

/** Options that re-run the command of a finished exec (SPEC §21): argv, cwd, notification targets and task. */
export function deriveRetryOptions(summary: RunSummaryPayload): ExecCommandOptions {
  const argv = summary.command?.argv ?? [];
  return {
    command: argv[0] ?? summary.command?.shell ?? "",
    args: argv.slice(1),
    cwd: summary.command?.cwd ?? undefined,
    notify: summary.notifications.targets,
    taskId: summary.run.taskId,
  };
}
