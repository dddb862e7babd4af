import { isTerminal } from "../../platform/terminal.ts";
import { defineCommand } from "../define-command.ts";
import { ExitSignal } from "../../core/errors.ts";
import { EXEC_ARGS, parseExecArgs, resolveExecStdin } from "../exec-args.ts";
import { discardPrespawnedSandboxHelper, prespawnSandboxHelperFor } from "../exec-prespawn.ts";
import { stderrStream, stdoutStream } from "../output-stream.ts";
import { createExecRenderer, type ExecRenderer } from "../renderers/exec-renderers.ts";
import type { Invocation } from "../../pipeline/invocation.ts";
import { LOG_PREFIX } from "../../core/log-prefix.ts";
import { rel } from "../../run/paths.ts";
import { exitAfterReport, reportWanted, writeReportAfterRun } from "../run-report.ts";

export default defineCommand({
  meta: {
    name: "exec",
    description:
      "Run one command (argv, no shell) and record it. Output: JSONL events unless stdout and stderr are both terminals (then a live view).",
  },
  args: EXEC_ARGS,
  async run({ rawArgs }) {
    const args = parseExecArgs(rawArgs);
    const mode = args.mode ?? (stdoutStream.isTTY && isTerminal(2) ? "interactive" : "jsonl");
    let renderer: ExecRenderer | null = null;
    let invocation: Invocation | null = null;
    const stdin = resolveExecStdin(args, isTerminal(0));
    // Before the run is prepared, so that the sandbox helper starts alongside it (issue 15/21).
    await prespawnSandboxHelperFor(args, stdin, process.env);
    const { runExec } = await import("../../pipeline/exec-run.ts");
    const outcome = await runExec(
      {
        argv: args.argv,
        env: process.env,
        cwd: process.cwd(),
        task: args.task,
        commandCwd: args.cwd,
        tty: args.tty,
        stdin,
        session: args.session,
        sandbox: args.sandbox,
        sandboxNetwork: args.sandboxNetwork,
        sandboxBackend: args.sandboxBackend,
        sandboxFallback: args.sandboxFallback,
        approvalPolicy: args.approvalPolicy,
        requireApproval: args.requireApproval,
        timeoutSeconds: args.timeoutSeconds,
        outputSchema: args.outputSchema,
        maxOutputBytes: args.maxOutputBytes,
        notify: args.notify,
        otelEndpoint: args.otelEndpoint,
        quiet: args.quiet,
      },
      {
        prepared(prepared, shell) {
          invocation = prepared;
          renderer = createExecRenderer({ mode, jsonStyle: args.jsonStyle, quiet: args.quiet, stdout: stdoutStream, stderr: stderrStream, shell });
          prepared.events.subscribe(renderer.onEvent);
          return renderer.start();
        },
      },
    ).finally(discardPrespawnedSandboxHelper);
    await (renderer as ExecRenderer | null)?.finish();
    // The one error line of a run failed by --output-schema (not a warning: --quiet keeps it, SPEC §14.7).
    if (outcome.failure !== null) {
      await stderrStream.write(`${outcome.failure}\n`);
      await stderrStream.flush();
    }
    // After the run is recorded (notifications included); stdout stays the JSONL/JSON it was, the path is known.
    const report = reportWanted(args.report ?? undefined, invocation as Invocation | null) ? await writeReportAfterRun(outcome.manifestPath) : null;
    if (report !== null && report.error !== null) await stderrStream.write(`${report.error}\n`);
    else if (report !== null && mode === "interactive" && !args.quiet) {
      await stderrStream.write(`${LOG_PREFIX}Report: ${rel((invocation as Invocation | null)?.roots ?? { repo: process.cwd() }, report.path)}\n`);
    }
    await stderrStream.flush();
    const exitCode = exitAfterReport(outcome.exitCode, report);
    // Loaded only in a GitHub Actions job (its check is the same one line as reportToGithubActions' own).
    if (process.env.GITHUB_ACTIONS === "true") (await import("../github-actions.ts")).reportToGithubActions(
      { manifest: outcome.manifest, manifestPath: outcome.manifestPath, exitCode, reportPath: report?.error === null ? report.path : null },
      { machineOutput: mode !== "interactive", stdout: (text) => void stdoutStream.write(text) },
    );
    throw new ExitSignal(exitCode);
  },
});
