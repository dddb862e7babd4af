/**
 * GitHub Actions integration of a finished run (`exec`, `start`, `resume`): when `GITHUB_ACTIONS=true` it appends
 * `run-id`, `status`, `exit-code` and `manifest` to `$GITHUB_OUTPUT`, a Markdown table of the stages to
 * `$GITHUB_STEP_SUMMARY`, and prints one `::error` workflow command per failed stage. So a plain `run:` step gets the
 * same outputs as the composite action.
 *
 * Annotations go to stdout when stdout is human text (`start`/`resume` text format, `exec` interactive mode) and to
 * stderr when stdout is machine-readable (`exec` jsonl/json, `start --format json`): the Actions runner reads workflow
 * commands from both streams, and the JSON on stdout stays intact. Writing never changes the exit code: a failure to
 * write becomes one warning line.
 */
import { appendFileSync } from "node:fs";
import { LOG_PREFIX } from "../core/log-prefix.ts";
import type { CommandEntry, Manifest } from "../core/schemas/manifest.ts";
import { statusLabel } from "../core/summary.ts";

export type GithubActionsRun = {
  manifest: Manifest;
  /** Path of the manifest file as later steps should use it (absolute is safest: steps may change directory). */
  manifestPath: string;
  /** The process exit code the CLI is about to return. */
  exitCode: number;
  /** Absolute path of the run's `report.html` when one was written (`--report`, config `report`). */
  reportPath?: string | null;
};

export type GithubActionsSinks = {
  env?: Record<string, string | undefined>;
  /** Whether stdout carries JSON/JSONL (annotations then go to stderr). */
  machineOutput: boolean;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
};

export function isGithubActions(env: Record<string, string | undefined> = process.env): boolean {
  return env.GITHUB_ACTIONS === "true";
}

/** The step outputs, in the order they are written. */
export function githubOutputs(run: GithubActionsRun): [name: string, value: string][] {
  const outputs: [string, string][] = [
    ["run-id", run.manifest.run_id],
    ["status", run.manifest.status],
    ["exit-code", String(run.exitCode)],
    ["manifest", run.manifestPath],
  ];
  if (run.reportPath) outputs.push(["report", run.reportPath]);
  return outputs;
}

/** `name=value` lines; a value with a line break uses the `name<<delimiter` form GitHub documents. */
export function formatOutputs(outputs: [string, string][]): string {
  return outputs
    .map(([name, value]) => {
      if (!/[\r\n]/.test(value)) return `${name}=${value}\n`;
      let delimiter = "CODEX_ORCHESTRATOR_EOF";
      while (value.includes(delimiter)) delimiter += "_";
      return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
    })
    .join("");
}

/** Escaping of workflow command data and properties (`%`, CR, LF; properties also `:` and `,`). */
function escapeData(text: string): string {
  return text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}
function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(":", "%3A").replaceAll(",", "%2C");
}

/** `::error title=…::…` lines (each ending in `\n`): one per failed stage, else one for a failed or cancelled run. */
export function renderAnnotations(manifest: Manifest): string {
  const failed = manifest.commands.filter((c) => c.status === "failed");
  const lines = failed.map((entry) => {
    const title = `Stage ${entry.id} failed`;
    const exit = entry.exit_code === null ? "" : ` (exit code ${entry.exit_code})`;
    const message = `${entry.title}${exit}${entry.summary ? `: ${entry.summary}` : ""} — run ${manifest.run_id}`;
    return `::error title=${escapeProperty(title)}::${escapeData(message)}\n`;
  });
  if (lines.length === 0 && (manifest.status === "failed" || manifest.status === "cancelled")) {
    const detail = manifest.status_detail ?? manifest.summary ?? manifest.status;
    const title = `codex-orchestrator run ${manifest.status}`;
    lines.push(`::error title=${escapeProperty(title)}::${escapeData(`${manifest.run_id}: ${detail}`)}\n`);
  }
  return lines.join("");
}

const STATUS_ICON: Record<string, string> = {
  succeeded: "✅",
  failed: "❌",
  cancelled: "🚫",
  // An allowed failure (`skipped` in the manifest), shown as `failed (allowed)`.
  skipped: "⚠️",
  pending: "⏸️",
  running: "⏳",
  queued: "⏸️",
  in_progress: "⏳",
};

/** Milliseconds between two ISO timestamps; null without both (or when they do not parse). */
function elapsedMs(startedAt: string | null, completedAt: string | null): number | null {
  if (startedAt === null || completedAt === null) return null;
  const ms = Date.parse(completedAt) - Date.parse(startedAt);
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

/** Human duration: `350 ms`, `4.2 s`, `3 m 07 s`; `—` without both timestamps. */
export function formatDuration(startedAt: string | null, completedAt: string | null): string {
  const ms = elapsedMs(startedAt, completedAt);
  if (ms === null) return "—";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} m ${String(seconds % 60).padStart(2, "0")} s`;
}

/** A table cell: no line breaks, no table-breaking `|`, no raw HTML. */
function cell(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll("|", "\\|")
    .replace(/\r?\n/g, "<br>");
}

function stageRow(entry: CommandEntry): string {
  const status = `${STATUS_ICON[entry.status] ?? ""} ${statusLabel(entry.status)}`.trim();
  const exit = entry.exit_code === null ? "—" : String(entry.exit_code);
  const what = entry.kind === "subpipeline" ? `sub-pipeline${entry.sub_run_id ? ` \`${entry.sub_run_id}\`` : ""}` : "";
  const summary = [what, entry.summary ?? ""].filter(Boolean).join(" ");
  return `| ${entry.index} | ${cell(entry.title)} | ${status} | ${formatDuration(entry.started_at, entry.completed_at)} | ${exit} | ${cell(summary)} |`;
}

/** How many stages "Slowest stages" lists. */
export const SLOWEST_STAGES = 5;

/**
 * The slowest stages of a run of more than one stage (issue 20): title, duration and share of the run's time, with
 * a bar of up to 10 blocks. Empty when there is nothing to compare.
 */
export function slowestStages(manifest: Manifest): string[] {
  const total = elapsedMs(manifest.started_at, manifest.completed_at ?? manifest.updated_at);
  const timed = manifest.commands
    .map((entry) => ({ entry, ms: elapsedMs(entry.started_at, entry.completed_at) }))
    .filter((x): x is { entry: CommandEntry; ms: number } => x.ms !== null);
  if (manifest.commands.length < 2 || timed.length === 0) return [];
  timed.sort((a, b) => b.ms - a.ms || a.entry.index - b.entry.index);
  const rows = timed.slice(0, SLOWEST_STAGES).map(({ entry, ms }) => {
    const share = total === null || total === 0 ? null : ms / total;
    const bar = share === null ? "" : `${"█".repeat(Math.max(1, Math.round(share * 10)))} `;
    const status = `${STATUS_ICON[entry.status] ?? ""} ${statusLabel(entry.status)}`.trim();
    return `| ${entry.index} | ${cell(entry.title)} | ${formatDuration(entry.started_at, entry.completed_at)} | ${bar}${share === null ? "—" : `${Math.round(share * 100)}%`} | ${status} |`;
  });
  return ["#### Slowest stages", "", "| # | Stage | Duration | Share of the run | Status |", "|---|---|---|---|---|", ...rows];
}

/** The run page's artifacts list (where an uploaded `.runs/` holds the report), when GitHub says where that is. */
function artifactsUrl(env: Record<string, string | undefined>): string | null {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: id } = env;
  if (!server || !repo || !id || !/^https?:\/\/[^\s()]+$/.test(server) || !/^[\w.-]+\/[\w.-]+$/.test(repo) || !/^\d+$/.test(id)) return null;
  return `${server}/${repo}/actions/runs/${id}#artifacts`;
}

/** The step summary's line about the report: its path, and the run's artifacts where an upload of `.runs/` has it. */
export function reportLine(reportPath: string, env: Record<string, string | undefined>): string {
  const url = artifactsUrl(env);
  const where = `\`${reportPath.replaceAll("`", "'")}\``;
  return url === null
    ? `Report: ${where}`
    : `Report: ${where} — [open it from the run's artifacts](${url}) (upload \`.runs/\` with \`actions/upload-artifact\`)`;
}

/** The Markdown appended to `$GITHUB_STEP_SUMMARY`. */
export function renderStepSummary(run: GithubActionsRun, env: Record<string, string | undefined> = {}): string {
  const m = run.manifest;
  const icon = STATUS_ICON[m.status] ?? "";
  const lines = [
    `### ${icon} codex-orchestrator: ${cell(m.pipeline_title)} — ${m.status}`,
    "",
    `Run \`${m.run_id}\` · task \`${m.task_id}\` · pipeline \`${m.pipeline_id}\` · ${formatDuration(m.started_at, m.completed_at)} · exit code ${run.exitCode}`,
    "",
    "| # | Stage | Status | Duration | Exit code | Summary |",
    "|---|---|---|---|---|---|",
    ...m.commands.map(stageRow),
    "",
  ];
  const slowest = slowestStages(m);
  if (slowest.length > 0) lines.push(...slowest, "");
  lines.push(`Manifest: \`${run.manifestPath}\``);
  if (run.reportPath) lines.push("", reportLine(run.reportPath, env));
  if (m.status_detail) lines.push("", `Status detail: \`${m.status_detail}\``);
  return `${lines.join("\n")}\n\n`;
}

/**
 * Writes the outputs, the step summary and the annotations when running under GitHub Actions; a no-op elsewhere.
 * Returns whether anything was attempted.
 */
export function reportToGithubActions(run: GithubActionsRun, sinks: GithubActionsSinks): boolean {
  const env = sinks.env ?? process.env;
  if (!isGithubActions(env)) return false;
  const stdout = sinks.stdout ?? ((text: string) => process.stdout.write(text));
  const stderr = sinks.stderr ?? ((text: string) => process.stderr.write(text));
  const append = (variable: "GITHUB_OUTPUT" | "GITHUB_STEP_SUMMARY", text: string) => {
    const file = env[variable];
    if (file === undefined || file === "") return;
    try {
      appendFileSync(file, text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      stderr(`${LOG_PREFIX}Cannot write ${variable} ${file}: ${reason}\n`);
    }
  };
  append("GITHUB_OUTPUT", formatOutputs(githubOutputs(run)));
  append("GITHUB_STEP_SUMMARY", renderStepSummary(run, env));
  const annotations = renderAnnotations(run.manifest);
  if (annotations !== "") (sinks.machineOutput ? stderr : stdout)(annotations);
  return true;
}
