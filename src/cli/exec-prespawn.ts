import { NO_LANDLOCK_TEST_ENV } from "../core/sandbox-backend.ts";
import { confiningMode } from "../core/sandbox-policy.ts";
import { isTerminal } from "../platform/terminal.ts";
import { type ExecArgs, parseExecArgs, resolveExecStdin } from "./exec-args.ts";

/**
 * Whether this `exec` will want the Landlock helper, judged from what is known before the run is prepared (issue
 * 15/21): `--sandbox read-only|workspace-write` on a pipe run (no `--tty`, no session), a backend choice (flag, else
 * environment) of `auto` or `landlock`, on an architecture the helper knows. Then the helper starts now, probes the
 * kernel (reporting what it found, so the orchestrator need not) and gets ready while the run is prepared
 * (`exec/sandbox-prespawn.ts`). When the guess is wrong (no usable Landlock after all, the config picks bubblewrap, the
 * approval is denied, the run fails before its command) the waiting helper is discarded having run nothing.
 */
export async function prespawnSandboxHelperFor(args: ExecArgs, stdin: boolean, env: Record<string, string | undefined>): Promise<void> {
  if (process.platform !== "linux" || args.tty || args.session !== undefined) return;
  if (!confiningMode(args.sandbox)) return;
  const prespawn = await import("../exec/sandbox-prespawn.ts");
  if (env[prespawn.SANDBOX_PRESPAWN_ENV] === "0") return;
  const { SANDBOX_BACKEND_ENV } = await import("../autonomy/sandbox-settings.ts");
  const choice = args.sandboxBackend ?? env[SANDBOX_BACKEND_ENV] ?? "auto";
  if (choice !== "auto" && choice !== "landlock" && choice !== "") return;
  // The kernel is not probed here (that would load bun:ffi): the helper probes and reports (sandbox-prespawn.ts), and
  // on a kernel without usable Landlock it is discarded having run nothing. Only what needs no probe is ruled out.
  if ((process.arch !== "x64" && process.arch !== "arm64") || env[NO_LANDLOCK_TEST_ENV] === "1") return;
  // The sandbox thread where it can be used (exec/sandbox-thread.ts): it boots beside the run's preparation as the
  // helper would, for a fraction of its cost; the helper otherwise.
  const thread = await import("../exec/sandbox-thread.ts");
  if (thread.sandboxThreadEnabled(env)) thread.startSandboxThread(env);
  else prespawn.prespawnSandboxHelper({ stdin: stdin ? "inherit" : "ignore", env });
}

/** Ends a helper the run did not use (nothing was executed by it). */
export async function discardPrespawnedSandboxHelper(): Promise<void> {
  const prespawn = await import("../exec/sandbox-prespawn.ts");
  await prespawn.discardPrespawnedHelper();
}

/**
 * `exec`'s arguments as the executable's entry sees them (src/entry.ts), before the CLI itself is loaded: the helper
 * then starts some 8–10 ms earlier than from the command's own `run` (measured, docs/benchmarks.md#sandbox-helper),
 * which is about what it needs to be ready when the attempt hands it the command. Arguments that do not parse start
 * nothing (the command reports them); the command's own call is then a no-op, one helper being the most there is.
 */
export async function prespawnForExecArgs(rawArgs: readonly string[], env: Record<string, string | undefined>): Promise<void> {
  let args: ExecArgs;
  try {
    args = parseExecArgs(rawArgs);
  } catch {
    return;
  }
  await prespawnSandboxHelperFor(args, resolveExecStdin(args, isTerminal(0)), env);
}

/**
 * Runs `work` (a command that runs many attempts: `start`, `resume`, `mcp`) with a sandbox helper kept waiting for
 * its next Landlock attempt (`keepSandboxHelperWarm`, exec/sandbox-prespawn.ts), for the attempts the sandbox thread
 * does not take; the waiting one is ended, having run nothing, when `work` settles. `server`: a long-lived server,
 * idle between calls, also keeps an unrestricted sandbox thread spare for the next new policy, and starts one now when
 * its default sandbox is one Landlock enforces (`sandboxed`). A pipeline starts its thread itself once it knows a
 * stage is sandboxed (pipeline/start-run.ts).
 */
export async function withWarmSandboxHelper<T>(work: () => Promise<T>, server?: { sandboxed: boolean }): Promise<T> {
  const prespawn = await import("../exec/sandbox-prespawn.ts");
  const thread = await import("../exec/sandbox-thread.ts");
  prespawn.keepSandboxHelperWarm(process.env);
  if (server !== undefined) thread.keepSandboxThreadSpare(true);
  if (server?.sandboxed === true) thread.startSandboxThread(process.env);
  try {
    return await work();
  } finally {
    thread.keepSandboxThreadSpare(false);
    await prespawn.stopKeepingSandboxHelperWarm();
  }
}
