import type { AttemptInput } from "../exec/attempt.ts";
import type { CancelScope } from "../pipeline/cancel-scope.ts";
import type { ExecOutcome } from "../pipeline/exec-run.ts";
import { UnreadOutput } from "./unread-output.ts";

/** Types into the terminal of a running `tty` exec (what `write_stdin` uses); false when nothing is connected. */
export class TerminalFeed implements AttemptInput {
  private writer: ((data: string) => void) | null = null;

  connect(write: ((data: string) => void) | null): void {
    this.writer = write;
  }

  write(data: string): boolean {
    if (this.writer === null) return false;
    this.writer(data);
    return true;
  }
}

/**
 * One `exec` of the MCP server (issue 19), from its call until its last output is read: the run it is, the output
 * nobody has read yet, and how to type into it or stop it.
 */
export class LiveExec {
  readonly output = new UnreadOutput();
  readonly feed = new TerminalFeed();
  readonly startedAt = Date.now();
  runId: string | null = null;
  manifestPath: string | null = null;
  cancel: CancelScope | null = null;
  /** The command started (approval, rules and hooks passed): `exec:begin` was seen. */
  began = false;
  summary: { exitCode: number | null; signal: string | null; timedOut: boolean; durationMs: number } | null = null;
  outcome: ExecOutcome | null = null;
  failure: unknown = null;
  finished = false;
  /** The invocation's own lines (warnings) of this exec. */
  notes: string[] = [];
  /** Settles when the run is finished and recorded (never rejects). */
  done: Promise<void> = Promise.resolve();
  private beganWaiters: (() => void)[] = [];

  constructor(
    /** `proc:<n>`, or the name of the live shell session it runs in. */
    readonly id: string,
    readonly command: string,
    readonly session: string | null,
    readonly tty: boolean,
  ) {}

  markBegan(): void {
    if (this.began) return;
    this.began = true;
    for (const wake of this.beganWaiters.splice(0)) wake();
  }

  /** Resolves once the command has started or the run is over (approval may take a person's time before it). */
  started(): Promise<void> {
    if (this.began || this.finished) return Promise.resolve();
    return Promise.race([new Promise<void>((resolve) => this.beganWaiters.push(resolve)), this.done]);
  }
}

/** The execs of one server that outlived their call, by id. */
export class LiveExecs {
  private readonly byId = new Map<string, LiveExec>();
  private counter = 0;

  nextId(): string {
    this.counter += 1;
    return `proc:${this.counter}`;
  }

  add(exec: LiveExec): void {
    this.byId.set(exec.id, exec);
  }

  get(id: string): LiveExec | undefined {
    return this.byId.get(id);
  }

  remove(exec: LiveExec): void {
    if (this.byId.get(exec.id) === exec) this.byId.delete(exec.id);
  }

  list(): LiveExec[] {
    return [...this.byId.values()];
  }
}
