import { isTerminal } from "../platform/terminal.ts";

export type ApprovalAnswer = "once" | "always" | "deny";

/** What is asked: running a command that needs approval, or re-running one outside the sandbox after a denial. */
export type ApprovalRequest = {
  kind: "run" | "escalate";
  invocationId: string;
  tool: string;
  description: string;
  key: string;
  cwd: string;
  sandboxMode: string | null;
  /** Why an escalation is asked for (the denial that was detected). */
  reason?: string;
};

export interface ApprovalPrompter {
  ask(request: ApprovalRequest): Promise<ApprovalAnswer>;
}

type TtyStream = { isTTY?: boolean };

/**
 * A prompter on the user's terminal (consola's select), or `null` when stdin or stdout is not a terminal: a prompt
 * nobody can answer would block forever, so callers then fail with the key instead.
 */
export function createTerminalPrompter(io?: { stdin: TtyStream; stdout: TtyStream }): ApprovalPrompter | null {
  // Without `io`, ask the file descriptors: building process.stdin just to read isTTY costs start-up time.
  const interactive = io === undefined ? isTerminal(0) && isTerminal(1) : io.stdin.isTTY === true && io.stdout.isTTY === true;
  return interactive ? new ConsolaPrompter() : null;
}

class ConsolaPrompter implements ApprovalPrompter {
  // One question at a time: two prompts drawn at once on one terminal would garble both.
  private queue: Promise<unknown> = Promise.resolve();

  ask(request: ApprovalRequest): Promise<ApprovalAnswer> {
    const next = this.queue.then(() => this.askNow(request));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async askNow(request: ApprovalRequest): Promise<ApprovalAnswer> {
    // consola is loaded only when a question is really asked (start-up time of every other run).
    const { consola } = await import("consola");
    const answer = await consola.prompt(promptMessage(request), {
      type: "select",
      options: [
        { value: "once", label: "Approve once" },
        { value: "always", label: "Approve always", hint: `cache key ${request.key} for future runs` },
        { value: "deny", label: "Deny" },
      ],
      initial: "once",
      cancel: "symbol",
    });
    // Ctrl+C or end of input: nothing was approved.
    return answer === "once" || answer === "always" ? answer : "deny";
  }
}

export function promptMessage(request: ApprovalRequest): string {
  const sandbox = request.sandboxMode ?? "no sandbox";
  if (request.kind === "escalate") {
    return (
      `The ${sandbox} sandbox denied ${request.description} (${request.reason ?? "permission denied"}). ` +
      `Run it again without the sandbox (danger-full-access)? [key ${request.key}]`
    );
  }
  return `Approval required for ${request.tool}: ${request.description} (cwd ${request.cwd}, ${sandbox}). Run it? [key ${request.key}]`;
}
