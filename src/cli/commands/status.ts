import { setTimeout as sleep } from "node:timers/promises";
import { defineCommand } from "../define-command.ts";
import { RunFailedError, UsageError } from "../../core/errors.ts";
import { taskIdFromEnv, validateTaskId } from "../../core/ids.ts";
import { LOG_PREFIX } from "../../core/log-prefix.ts";
import { TERMINAL_STATUSES, formatStatusText, statusReport } from "../../pipeline/status-report.ts";
import { resolveStoreRoots } from "../../run/paths.ts";
import { latestRun } from "../../run/run-catalog.ts";
import { findRun, reloadRun } from "../../run/run-lookup.ts";
import { type ParsedArgs, booleanOption, formatOption, parseStrict, stringOption } from "../args.ts";
import { stdoutStream } from "../output-stream.ts";
import { buildRunReport } from "../../report/report-model.ts";
import { colorAllowed, renderTextTimeline } from "../../report/text-timeline.ts";
import type { FoundRun } from "../../run/run-lookup.ts";

/**
 * The run's timeline under the status lines, for a terminal only (issue 20): piped `status` text stays the lines of
 * SPEC §5.3. Colour unless NO_COLOR is set (or TERM=dumb).
 */
async function timelineText(run: FoundRun): Promise<string> {
  const report = await buildRunReport(run.files.manifest, { tails: false });
  const columns = process.stdout.columns && process.stdout.columns > 0 ? process.stdout.columns : 100;
  const lines = renderTextTimeline(report, { columns, color: colorAllowed(process.env, true) });
  return `\n${lines.join("\n")}\n`;
}

const args = {
  "run-id": { type: "positional", required: false, description: "run id (or --run)" },
  run: { type: "string", description: "run id", valueHint: "run-id" },
  task: { type: "string", description: "look only in this task", valueHint: "id" },
  latest: { type: "boolean", description: "the newest top-level run of the task (--task, else MCP_RUNNER_TASK_ID)" },
  watch: { type: "boolean", description: "repeat until the run ends" },
  interval: { type: "string", description: "seconds between --watch updates (default 10)", valueHint: "seconds" },
  format: { type: "string", description: "json or text (default text)", valueHint: "json|text" },
} as const;

/** `--interval`: a positive number of seconds (SPEC §4.2). */
export function intervalOption(parsed: ParsedArgs): number {
  const raw = stringOption(parsed, "interval");
  if (raw === undefined) return 10;
  const seconds = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`Invalid value for --interval: ${raw} (expected a positive number of seconds).`);
  }
  return seconds;
}

/** `status [--run] <run-id>` (SPEC §5.3). */
export default defineCommand({
  meta: { name: "status", description: "Show the status of a run (--latest: the task's newest; --watch to follow it)." },
  args,
  async run({ rawArgs }) {
    const parsed = parseStrict("status", args, rawArgs);
    const format = formatOption(parsed);
    const interval = intervalOption(parsed);
    const given = stringOption(parsed, "run") ?? parsed.positionals[0];
    const latest = booleanOption(parsed, "latest");
    if (latest && given !== undefined) throw new UsageError("status takes a run id or --latest, not both.");
    if (!latest && given === undefined) throw new UsageError("status requires --run <run-id>.");
    const taskOption = stringOption(parsed, "task");
    const task = taskOption === undefined ? undefined : validateTaskId(taskOption, "--task");
    const roots = resolveStoreRoots({ env: process.env, cwd: process.cwd() });
    let runId = given as string;
    if (latest) {
      const taskId = task ?? taskIdFromEnv(process.env);
      const newest = await latestRun(roots, taskId);
      if (newest === null) throw new UsageError(`No runs for task '${taskId}' under ${roots.runs}.`);
      runId = newest.runId;
    }
    let run = await findRun(roots, runId, { task: latest ? (task ?? taskIdFromEnv(process.env)) : task, env: process.env });
    while (true) {
      const report = await statusReport(roots, run);
      const text =
        format === "json"
          ? JSON.stringify(report, null, 2)
          : formatStatusText(report)
              .map((line) => LOG_PREFIX + line)
              .join("\n");
      await stdoutStream.write(`${text}\n`);
      if (format === "text" && stdoutStream.isTTY) await stdoutStream.write(await timelineText(run));
      if (!booleanOption(parsed, "watch") || TERMINAL_STATUSES.has(report.status)) return;
      // A run whose owner is gone never reaches a final status by itself (issue 22.7): watching it would never end.
      if (report.activity.stale) {
        const age = report.activity.age_seconds === null ? "" : ` (last heartbeat ${Math.floor(report.activity.age_seconds)}s ago)`;
        throw new RunFailedError(
          `Run ${report.run_id} is stale${age}: its process is gone; close it with 'cancel ${report.run_id}' or rerun it with 'resume ${report.run_id}'.`,
        );
      }
      await sleep(interval * 1000);
      run = await reloadRun(run);
    }
  },
});
