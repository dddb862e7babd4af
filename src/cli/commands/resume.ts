import { defineCommand } from "../define-command.ts";
import { withWarmSandboxHelper } from "../exec-prespawn.ts";
import { reportToGithubActions } from "../github-actions.ts";
import { ExitSignal, UsageError } from "../../core/errors.ts";
import { runResume } from "../../pipeline/resume-run.ts";
import { booleanOption, parseStrict, stringOption } from "../args.ts";
import { stdoutStream } from "../output-stream.ts";
import type { ProgressRenderer } from "../renderers/progress.ts";
import type { Invocation } from "../../pipeline/invocation.ts";
import { exitAfterReport, reportWanted } from "../run-report.ts";
import { attachPipelineOutput, formatFailure, notifyTargets, reportAfterRun } from "./start.ts";

const args = {
  "run-id": { type: "positional", required: false, description: "run id (or --run)" },
  run: { type: "string", description: "run id", valueHint: "run-id" },
  task: { type: "string", description: "look only in this task", valueHint: "id" },
  token: { type: "string", description: "must match the run's resume token when given", valueHint: "token" },
  actor: { type: "string", description: "recorded in resume_events (default cli)", valueHint: "name" },
  reason: { type: "string", description: "recorded in resume_events (default manual-resume)", valueHint: "text" },
  force: { type: "boolean", description: "resume even if the heartbeat is fresh" },
  notify: { type: "string", description: "notification target; repeatable, comma-separated", valueHint: "target" },
  "otel-endpoint": { type: "string", description: "OTLP/HTTP traces endpoint", valueHint: "url" },
  concurrency: { type: "string", description: "ready graph stages run at once (default: the number of CPUs)", valueHint: "n" },
  "keep-going": { type: "boolean", description: "a failed graph stage lets independent stages finish" },
  "max-output-bytes": { type: "string", description: "output one run may leave in its logs (default 512MiB)", valueHint: "size" },
  report: { type: "boolean", description: "write report.html (timeline, commands, output tails) into the run directory" },
} as const;

/** `resume [--run] <run-id>` (SPEC §5.4, §12): reruns the unfinished stages of a run; exit as for `start`. */
export default defineCommand({
  meta: { name: "resume", description: "Rerun the stages of a run that did not finish (failed, cancelled, crashed)." },
  args,
  async run({ rawArgs }) {
    const parsed = parseStrict("resume", args, rawArgs);
    const runId = stringOption(parsed, "run") ?? parsed.positionals[0];
    if (runId === undefined) throw new UsageError("resume requires --run <run-id>.");
    let progress: ProgressRenderer | null = null;
    let invocation: Invocation | null = null;
    const result = await withWarmSandboxHelper(() =>
      runResume(
      {
        env: process.env,
        cwd: process.cwd(),
        runId,
        task: stringOption(parsed, "task"),
        token: stringOption(parsed, "token"),
        actor: stringOption(parsed, "actor") ?? "cli",
        reason: stringOption(parsed, "reason") ?? "manual-resume",
        force: booleanOption(parsed, "force"),
        notify: notifyTargets(parsed),
        otelEndpoint: stringOption(parsed, "otel-endpoint"),
        maxOutputBytes: stringOption(parsed, "max-output-bytes"),
        concurrency: stringOption(parsed, "concurrency"),
        keepGoing: booleanOption(parsed, "keep-going"),
      },
      {
        prepared(prepared) {
          invocation = prepared;
          progress = attachPipelineOutput(prepared, "text", stdoutStream);
        },
      },
    ),
    );
    await (progress as ProgressRenderer | null)?.finish();
    const report = await reportAfterRun(reportWanted(parsed.options.report, invocation as Invocation | null), result.manifestPath);
    const exitCode = exitAfterReport(result.exitCode, report);
    const lines = [`Run resumed: ${result.runId}`, `Status: ${result.status}`];
    if (report !== null && report.error === null) lines.push(`Report: ${result.artifactRoot}/report.html`);
    if (result.failure !== null) lines.push(...formatFailure(result.failure));
    await stdoutStream.write(`${lines.join("\n")}\n`);
    await stdoutStream.flush();
    reportToGithubActions(
      { manifest: result.manifest, manifestPath: result.manifestPath, exitCode, reportPath: report?.error === null ? report.path : null },
      { machineOutput: false },
    );
    throw new ExitSignal(exitCode);
  },
});
