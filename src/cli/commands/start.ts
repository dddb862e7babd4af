import { defineCommand } from "../define-command.ts";
import { withWarmSandboxHelper } from "../exec-prespawn.ts";
import { reportToGithubActions } from "../github-actions.ts";
import { ExitSignal, UsageError } from "../../core/errors.ts";
import { validateRunId } from "../../core/ids.ts";
import type { FailureReport } from "../../pipeline/failure-report.ts";
import type { Invocation } from "../../pipeline/invocation.ts";
import { runStart } from "../../pipeline/start-run.ts";
import type { PipelineResult } from "../../pipeline/top-level.ts";
import { type ParsedArgs, booleanOption, listOption, parseStrict, stringOption } from "../args.ts";
import { type OutputStream, stderrStream, stdoutStream } from "../output-stream.ts";
import { createProgressRenderer, type ProgressRenderer } from "../renderers/progress.ts";
import { exitAfterReport, type RunReportOutcome, reportWanted, writeReportAfterRun } from "../run-report.ts";

const args = {
  pipeline: { type: "positional", required: false, description: "pipeline id (default: defaultPipeline, else diagnostics)" },
  task: { type: "string", description: "task id override", valueHint: "id" },
  "parent-run": { type: "string", description: "stored in parent_run_id", valueHint: "id" },
  "approval-policy": { type: "string", description: "untrusted | on-failure | on-request | never", valueHint: "policy" },
  format: { type: "string", description: "text (default), json, or jsonl (stream every event)", valueHint: "json|text|jsonl" },
  notify: { type: "string", description: "notification target; repeatable, comma-separated", valueHint: "target" },
  "otel-endpoint": { type: "string", description: "OTLP/HTTP traces endpoint", valueHint: "url" },
  concurrency: { type: "string", description: "ready graph stages run at once (default: the number of CPUs)", valueHint: "n" },
  "keep-going": { type: "boolean", description: "a failed graph stage lets independent stages finish" },
  "max-output-bytes": { type: "string", description: "output one run may leave in its logs (default 512MiB)", valueHint: "size" },
  "sandbox-backend": { type: "string", description: "auto (default) | landlock | bwrap | seatbelt", valueHint: "name" },
  "sandbox-fallback": { type: "string", description: "fail (default: run nothing when a sandbox cannot be enforced) | unsandboxed", valueHint: "what" },
  report: { type: "boolean", description: "write report.html (timeline, commands, output tails) into the run directory" },
  only: { type: "string", description: "run only these stages (comma-separated; in graph mode with what they need)", valueHint: "stage,…" },
  "no-cache": { type: "boolean", description: "run every stage; read and store nothing in the stage cache" },
  "fail-on-cache-miss": { type: "boolean", description: "fail a stage with inputs that misses the cache instead of running it" },
  "cache-dir": { type: "string", description: "stage cache store (default $XDG_CACHE_HOME/codex-orchestrator/stage-cache)", valueHint: "dir" },
} as const;

export type PipelineFormat = "json" | "text" | "jsonl";

/** `--format` of `start`: `json`, `text` or (additive) `jsonl`. */
export function pipelineFormat(parsed: ParsedArgs): PipelineFormat {
  const value = stringOption(parsed, "format");
  if (value === undefined || value === "text") return "text";
  if (value === "json" || value === "jsonl") return value;
  throw new UsageError(`Invalid value for --format: ${value} (expected json, text or jsonl).`);
}

/** `--parent-run`: a run id (SPEC §3.3; issue 22.9: it was stored unchecked), checked before anything is written. */
function parentRunOption(parsed: ParsedArgs): string | undefined {
  const value = stringOption(parsed, "parent-run");
  return value === undefined ? undefined : validateRunId(value, "--parent-run");
}

/** `--notify` values: repeatable, each comma-separated; trimmed, empty entries dropped. */
export function notifyTargets(parsed: ParsedArgs): string[] {
  return listOption(parsed, "notify")
    .flatMap((value) => value.split(","))
    .map((t) => t.trim())
    .filter((t) => t !== "");
}

/**
 * Subscribes the live output of a pipeline command: every event as a JSON line (`jsonl`), or the progress UI when
 * stdout is a terminal in text mode (SPEC §5.1 keeps other stdout silent until the run ends).
 */
export function attachPipelineOutput(invocation: Invocation, format: PipelineFormat, out: OutputStream): ProgressRenderer | null {
  if (format === "jsonl") {
    invocation.events.subscribe((event) => out.writeEvent(event));
    return null;
  }
  if (format !== "text" || !out.isTTY) return null;
  const progress = createProgressRenderer({ out, mode: process.env.TERM === "dumb" ? "plain" : "tty" });
  invocation.events.subscribe(progress.onEvent);
  return progress;
}

function resultText(result: PipelineResult, format: PipelineFormat, report: RunReportOutcome | null): string {
  const manifest = `${result.artifactRoot}/manifest.json`;
  const reportPath = report === null || report.error !== null ? null : `${result.artifactRoot}/report.html`;
  if (format === "json") {
    const doc = { run_id: result.runId, status: result.status, artifact_root: result.artifactRoot, manifest, log_path: result.logPath };
    return `${JSON.stringify(reportPath === null ? doc : { ...doc, report: reportPath }, null, 2)}\n`;
  }
  const lines = [`Run started: ${result.runId}`, `Status: ${result.status}`, `Manifest: ${manifest}`, `Log: ${result.logPath}`];
  if (reportPath !== null) lines.push(`Report: ${reportPath}`);
  if (result.failure !== null) lines.push(...formatFailure(result.failure));
  return `${lines.join("\n")}\n`;
}

/** Writes the run's report when asked (`--report`, config `report`); its error line goes to stderr. */
export async function reportAfterRun(wanted: boolean, manifestPath: string): Promise<RunReportOutcome | null> {
  if (!wanted) return null;
  const outcome = await writeReportAfterRun(manifestPath);
  if (outcome.error !== null) {
    await stderrStream.write(`${outcome.error}\n`);
    await stderrStream.flush();
  }
  return outcome;
}

/**
 * The text lines about the stage that failed a run (issue 22.8), after `start`/`resume`'s own lines: which stage
 * (`parent › child` through sub-pipelines), its exit code and reason, the first lines of its stderr, its error file.
 */
export function formatFailure(report: FailureReport): string[] {
  const exit = report.exitCode === null ? "" : ` (exit code ${report.exitCode})`;
  // `Exited with code <n>` only repeats the exit code.
  const reason = report.reason !== null && !/^Exited with code -?\d+$/.test(report.reason) ? `: ${report.reason}` : "";
  const lines = [`Failed stage: ${report.stages.join(" › ")}${exit}${reason}`];
  for (const line of report.stderr) lines.push(`  ${line}`);
  if (report.moreStderrLines > 0) lines.push(`  … ${report.moreStderrLines} more line${report.moreStderrLines === 1 ? "" : "s"} in the error file`);
  if (report.errorFile !== null) lines.push(`Error file: ${report.errorFile}`);
  return lines;
}

/** `start [pipeline]` (SPEC §5.1): runs the whole pipeline, then prints the result; exit 0/1/130/143. */
export default defineCommand({
  meta: { name: "start", description: "Run a pipeline and record it; prints the run id and status when it ends." },
  args,
  async run({ rawArgs }) {
    const parsed = parseStrict("start", args, rawArgs);
    const format = pipelineFormat(parsed);
    let progress: ProgressRenderer | null = null;
    let invocation: Invocation | null = null;
    const result = await withWarmSandboxHelper(() =>
      runStart(
      {
        env: process.env,
        cwd: process.cwd(),
        pipeline: parsed.positionals[0],
        task: stringOption(parsed, "task"),
        parentRun: parentRunOption(parsed),
        approvalPolicy: stringOption(parsed, "approval-policy"),
        notify: notifyTargets(parsed),
        otelEndpoint: stringOption(parsed, "otel-endpoint"),
        maxOutputBytes: stringOption(parsed, "max-output-bytes"),
        concurrency: stringOption(parsed, "concurrency"),
        keepGoing: booleanOption(parsed, "keep-going"),
        sandboxBackend: stringOption(parsed, "sandbox-backend"),
        sandboxFallback: stringOption(parsed, "sandbox-fallback"),
        only: stringOption(parsed, "only"),
        noCache: booleanOption(parsed, "no-cache"),
        failOnCacheMiss: booleanOption(parsed, "fail-on-cache-miss"),
        cacheDir: stringOption(parsed, "cache-dir"),
      },
      {
        prepared(prepared) {
          invocation = prepared;
          progress = attachPipelineOutput(prepared, format, stdoutStream);
        },
      },
    ),
    );
    await (progress as ProgressRenderer | null)?.finish();
    const report = await reportAfterRun(reportWanted(parsed.options.report, invocation as Invocation | null), result.manifestPath);
    const exitCode = exitAfterReport(result.exitCode, report);
    if (format !== "jsonl") await stdoutStream.write(resultText(result, format, report));
    await stdoutStream.flush();
    reportToGithubActions(
      { manifest: result.manifest, manifestPath: result.manifestPath, exitCode, reportPath: report?.error === null ? report.path : null },
      { machineOutput: format !== "text" },
    );
    throw new ExitSignal(exitCode);
  },
});
