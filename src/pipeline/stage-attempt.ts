import type { AttemptContext } from "../autonomy/tool-orchestrator.ts";
import type { ExecBeginContext } from "../core/exec-begin-context.ts";
import type { SandboxState } from "../core/schemas/common.ts";
import type { AttemptResult } from "../exec/attempt.ts";
import type { CommandEvents } from "../exec/command-events.ts";
import { startAttempt } from "../exec/process-runner.ts";
import { withHelperSpawnError } from "../exec/sandbox-exec-error.ts";
import type { CancelScope } from "./cancel-scope.ts";
import { KILL_GRACE_MS } from "./limits.ts";
import type { CommandStage } from "./stage-context.ts";

/** What the orchestrator classifies (its `spawnError` is the message), carrying the full attempt result. */
export type ClassifiedAttempt = {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  spawnError: string | null;
  full: AttemptResult;
};

/**
 * The attempts of one command stage, as the ToolOrchestrator runs them (SPEC §9.3, §15.2): each attempt is announced
 * (`exec:begin`, whose span subscriber hands back the child's TRACEPARENT), runs as a process (pipes or a fresh PTY)
 * or inside a live session shell with its output as `exec:chunk` events, and ends with `exec:end` — all emitted by
 * the exec layer's `CommandEvents`; the logs, spans and printers subscribe to them. Cancelled through `cancel`.
 */
export class StageAttempts {
  /** The last attempt that ran (also when the orchestrator then threw). */
  last: AttemptResult | null = null;
  lastState: SandboxState = "unsandboxed";

  constructor(
    private readonly stage: CommandStage,
    private readonly cancel: CancelScope,
    readonly events: CommandEvents,
  ) {}

  /** One attempt (the orchestrator's callback). */
  readonly run = async (ctx: AttemptContext): Promise<ClassifiedAttempt> => {
    this.lastState = ctx.sandboxState;
    const { stage } = this;
    const spawnArgv = stage.session.shell ? stage.argv : ctx.wrapArgv(stage.argv, stage.cwd, stage.env);
    const sandbox = { sandboxState: ctx.sandboxState, sandboxBackend: ctx.sandboxBackend, landlockAbi: ctx.landlockAbi };
    const context: ExecBeginContext = { sandboxMode: ctx.sandboxMode, approvalSource: ctx.approvalSource, traceparent: null };
    await this.events.begin(ctx.attempt, sandbox, context);
    const env = context.traceparent ? { ...stage.env, TRACEPARENT: context.traceparent } : stage.env;
    const onChunk = this.events.chunks(ctx.attempt);
    let result: AttemptResult;
    if (stage.session.shell) {
      // Loaded only for a live session shell (its module brings the session client and node:net).
      const { runInShell } = await import("./shell-attempt.ts");
      result = await runInShell(stage.session.shell, stage.command, {
        env: stage.envOverrides ?? {},
        timeoutMs: stage.timeoutSeconds ? stage.timeoutSeconds * 1000 : undefined,
        cancel: this.cancel,
        onChunk,
      });
    } else {
      const running = startAttempt(
        {
          argv: spawnArgv,
          cwd: stage.cwd,
          env,
          ...(stage.tty ? { tty: stage.tty } : {}),
          ...(stage.tty && stage.input ? { input: stage.input } : {}),
          ...(stage.stdin === true ? { stdin: "inherit" as const } : {}),
          ...(stage.timeoutSeconds ? { timeoutMs: stage.timeoutSeconds * 1000 } : {}),
          graceMs: KILL_GRACE_MS,
        },
        onChunk,
      );
      const untrack = this.cancel.track(running);
      result = await running.result;
      untrack();
      // The Landlock helper resolves the program inside the sandbox: a program it cannot execute is a spawn error.
      if (ctx.sandboxBackend === "landlock") result = withHelperSpawnError(result);
    }
    this.last = result;
    await this.events.end(ctx.attempt, sandbox, result);
    return {
      exitCode: result.exitCode,
      signal: result.signal,
      stdout: result.stdout,
      stderr: result.stderr,
      spawnError: result.spawnError?.message ?? null,
      full: result,
    };
  };
}
