import type { ChildProcess } from "node:child_process";
import * as v from "valibot";
import { DEFAULT_HOOK_TIMEOUT_SECONDS, type HookConfig, type HooksConfig } from "../core/schemas/command-policy.ts";

/**
 * preExec / postExec hooks (issue 19): programs of the people who run the agents, given one JSON object on stdin.
 * A preExec hook answers `{"decision": "allow"|"deny"|"ask", "reason": "…"}` on stdout; exit 2 denies too. A hook
 * that cannot be started, crashes (another non-zero exit, a signal), answers something else than that JSON or
 * outlives its timeout fails — and a failed hook denies (fail closed). A hook that exits 0 printing nothing has no
 * objection. Its whole process group is killed at the timeout.
 */

export type HookEvent = "preExec" | "postExec";

export type ExecHook = {
  event: HookEvent;
  /** `/bin/sh -c <command>` for a string, the argv itself for an array. */
  argv: string[];
  /** What the record and messages show. */
  display: string;
  timeoutMs: number;
  /** `<config path>#/hooks/preExec/<n>`. */
  source: string;
};

export type ExecHooks = { preExec: ExecHook[]; postExec: ExecHook[] };

export const NO_HOOKS: ExecHooks = { preExec: [], postExec: [] };

/** What a hook said, as recorded in `toolRuns[].metadata.hooks`. */
export type HookVerdict = {
  event: HookEvent;
  command: string;
  source: string;
  /** `allow` / `deny` / `ask`, null for no objection; a failed hook is `deny`. */
  decision: "allow" | "deny" | "ask" | null;
  reason: string | null;
  /** Why the hook failed (could not start, crashed, timed out, bad answer); null when it answered. */
  failure: string | null;
  exitCode: number | null;
  durationMs: number;
};

const HookAnswer = v.looseObject({
  decision: v.picklist(["allow", "deny", "ask"]),
  reason: v.optional(v.nullable(v.string())),
});

const MAX_STDOUT = 64 * 1024;
const MAX_STDERR = 8 * 1024;

/** The hooks of one config file, each knowing its JSON pointer. */
export function hooksFromConfig(hooks: HooksConfig | undefined, path: string): ExecHooks {
  const of = (event: HookEvent, list: readonly HookConfig[] | undefined): ExecHook[] =>
    (list ?? []).map((hook, index) => ({
      event,
      argv: typeof hook.command === "string" ? ["/bin/sh", "-c", hook.command] : [...hook.command],
      display: typeof hook.command === "string" ? hook.command : hook.command.join(" "),
      timeoutMs: Math.round((hook.timeout ?? DEFAULT_HOOK_TIMEOUT_SECONDS) * 1000),
      source: `${path}#/hooks/${event}/${index}`,
    }));
  return { preExec: of("preExec", hooks?.preExec), postExec: of("postExec", hooks?.postExec) };
}

export function mergeHooks(...sets: ExecHooks[]): ExecHooks {
  return { preExec: sets.flatMap((s) => s.preExec), postExec: sets.flatMap((s) => s.postExec) };
}

/** Runs one hook with `input` on stdin; never throws (a failure is a `deny` verdict with `failure` set). */
export async function runHook(hook: ExecHook, input: unknown, options: { cwd: string; env: Record<string, string> }): Promise<HookVerdict> {
  // Loaded at the first hook: node:child_process costs start-up time to every run that has none.
  const { spawn } = await import("node:child_process");
  const started = performance.now();
  const verdict = (fields: Partial<HookVerdict>): HookVerdict => ({
    event: hook.event,
    command: hook.display,
    source: hook.source,
    decision: null,
    reason: null,
    failure: null,
    exitCode: null,
    durationMs: Math.round(performance.now() - started),
    ...fields,
  });
  const failed = (failure: string, exitCode: number | null = null) => verdict({ decision: "deny", reason: failure, failure, exitCode });
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(hook.argv[0] as string, hook.argv.slice(1), {
        cwd: options.cwd,
        env: { ...options.env, CODEX_ORCHESTRATOR_HOOK: hook.event },
        stdio: ["pipe", "pipe", "pipe"],
        // Its own process group: a timeout kills the hook and whatever it started.
        detached: true,
      });
    } catch (error) {
      resolve(failed(`could not start: ${(error as Error).message}`));
      return;
    }
    let stdout = "";
    let stderr = "";
    let settled = false;
    const finish = (result: HookVerdict) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
      finish(failed(`timed out after ${hook.timeoutMs / 1000}s`));
    }, hook.timeoutMs);
    child.stdout?.setEncoding("utf8");
    child.stderr?.setEncoding("utf8");
    child.stdout?.on("data", (text: string) => {
      if (stdout.length < MAX_STDOUT) stdout += text;
    });
    child.stderr?.on("data", (text: string) => {
      if (stderr.length < MAX_STDERR) stderr += text;
    });
    child.on("error", (error) => finish(failed(`could not start: ${error.message}`)));
    // A hook that does not read its stdin (or exits first) must not make us fail on EPIPE.
    child.stdin?.on("error", () => {});
    child.stdin?.end(`${JSON.stringify(input)}\n`);
    child.on("close", (code, signal) => {
      const said = firstLine(stderr);
      if (signal !== null) return finish(failed(`killed by ${signal}${said === "" ? "" : `: ${said}`}`));
      if (code === 2) return finish(verdict({ decision: "deny", reason: said === "" ? "denied (exit 2)" : said, exitCode: 2 }));
      if (code !== 0) return finish(failed(`exited with code ${code}${said === "" ? "" : `: ${said}`}`, code));
      const text = stdout.trim();
      if (text === "") return finish(verdict({ exitCode: 0 }));
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        return finish(failed(`answered something that is not JSON: ${clip(text)}`, 0));
      }
      const answer = v.safeParse(HookAnswer, raw);
      if (!answer.success) return finish(failed(`answered ${clip(text)} (expected {"decision": "allow"|"deny"|"ask", "reason": "…"})`, 0));
      return finish(verdict({ decision: answer.output.decision, reason: answer.output.reason ?? null, exitCode: 0 }));
    });
  });
}

function firstLine(text: string): string {
  return clip(text.trim().split("\n")[0] ?? "");
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** The message of a command a hook stopped. */
export function hookRefusal(verdict: HookVerdict): string {
  const why = verdict.reason ?? "no reason given";
  if (verdict.failure !== null) return `preExec hook '${verdict.command}' failed (${why}); the command was not run (${verdict.source}).`;
  return `Denied by preExec hook '${verdict.command}': ${why} (${verdict.source}).`;
}
