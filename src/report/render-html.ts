import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, relative, sep } from "node:path";
import { redact } from "../core/redact.ts";
import { statusLabel } from "../core/summary.ts";
import { VERSION } from "../core/version.ts";
import { type HtmlValue, html, joinHtml, type SafeHtml, trustedHtml } from "./html.ts";
import type { StreamTail } from "./output-tail.ts";
import { REPORT_CSS, REPORT_SCRIPT } from "./report-assets.ts";
import { commandEnd, isActive, type ReportCommand, type ReportRun, type RunReport } from "./report-model.ts";
import type { AttemptRecord, ExecutionRecord } from "./stage-timeline.ts";
import { type StyledRun, type TextStyle, terminalRuns } from "./terminal-text.ts";
import { axisTicks, formatDurationMs, formatOffset } from "./time-format.ts";

export type RenderOptions = {
  /** Absolute path the page is written to: links to the run's files are relative to its directory. */
  reportPath: string;
};

const MARK: Record<string, string> = { succeeded: "✔", cached: "✔", failed: "✖", skipped: "⚠", cancelled: "⊘", running: "…", pending: "·" };

/** Every text that reaches the page passes here: secrets redacted again (logs already are), then HTML-escaped. */
const t = (text: string | null | undefined): string => (text === null || text === undefined ? "" : redact(text));

const pct = (value: number): string => `${Math.max(0, Math.min(100, value)).toFixed(4)}%`;

/** A problem row: failed, failed (allowed), cancelled, or retried. */
function isProblem(command: ReportCommand): boolean {
  if (command.status === "failed" || command.status === "skipped" || command.status === "cancelled") return true;
  return command.executions.some((e) => e.attempts.length > 1) || command.executions.length > 1;
}

function anchorOf(command: ReportCommand): string {
  return `cmd-${command.key.replace(/[^0-9A-Za-z-]/g, "-")}`;
}

/** A link to a file of the run, relative to the report (each segment URL-encoded); plain text when it does not exist. */
function fileLink(path: string | null, reportDir: string, label?: string): SafeHtml {
  if (path === null) return html`<span class="muted">—</span>`;
  const rel = relative(reportDir, path).split(sep).join("/");
  const text = label ?? rel;
  if (!existsSync(path)) return html`<span class="mono">${t(text)}</span> <span class="muted">(not written)</span>`;
  const href = rel.split("/").map(encodeURIComponent).join("/");
  return html`<a class="mono" href="${href}">${t(text)}</a>`;
}

function durationOf(command: ReportCommand, run: ReportRun, now: number): number | null {
  const end = commandEnd(command, run, now);
  return command.startedAt === null || end === null ? null : end - command.startedAt;
}

/** The page: one self-contained HTML document (no network; the script is optional). */
export function renderReportHtml(report: RunReport, options: RenderOptions): string {
  const { run } = report;
  const m = run.manifest;
  const reportDir = dirname(options.reportPath);
  const script = REPORT_SCRIPT;
  const scriptHash = createHash("sha256").update(script).digest("base64");
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${scriptHash}'; img-src data:; base-uri 'none'; form-action 'none'`;
  const total = (run.endedAt ?? report.generatedAt) - run.startedAt;
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="generator" content="codex-orchestrator ${VERSION}">
<title>${t(m.pipeline_title)} — ${m.status} — ${m.run_id}</title>
<style>${trustedHtml(REPORT_CSS)}</style>
</head>
<body data-run-id="${m.run_id}" data-status="${m.status}">
<header>
<h1><span class="badge s-${m.status}" id="run-status">${m.status}</span> ${t(m.pipeline_title)} <small class="mono">${t(m.pipeline_id)}</small></h1>
<dl class="facts">
<dt>Run</dt><dd class="mono">${m.run_id}</dd>
<dt>Task</dt><dd class="mono">${t(m.task_id)}${m.task_slug !== null && m.task_slug !== m.task_id ? html` (${t(m.task_slug)})` : ""}</dd>
${m.status_detail !== null ? html`<dt>Status detail</dt><dd class="mono">${t(m.status_detail)}</dd>` : ""}
<dt>Started</dt><dd>${m.started_at}</dd>
<dt>Completed</dt><dd>${m.completed_at ?? "in progress"}</dd>
<dt>Duration</dt><dd>${formatDurationMs(total)}${isActive(run) ? " so far" : ""}</dd>
<dt>Commands</dt><dd>${countLine(run)}</dd>
<dt>Approval policy</dt><dd class="mono">${m.approval_policy ?? "—"}</dd>
${m.parent_run_id !== null ? html`<dt>Parent run</dt><dd class="mono">${t(m.parent_run_id)}</dd>` : ""}
</dl>
${activityNote(run, report.generatedAt)}
${m.summary !== null ? html`<pre class="summary">${t(m.summary)}</pre>` : ""}
</header>
<nav class="toolbar" id="toolbar" hidden>
<button type="button" data-action="problems" aria-pressed="false">Problems only</button>
<button type="button" data-action="expand">Expand all</button>
<button type="button" data-action="collapse">Collapse all</button>
</nav>
<section id="timeline">
<h2>Timeline</h2>
<div class="legend"><span><i class="bar s-succeeded" style="position:static;display:inline-block"></i>succeeded</span><span><i class="bar s-failed" style="position:static;display:inline-block"></i>failed</span><span><i class="bar s-skipped" style="position:static;display:inline-block"></i>failed (allowed)</span><span><i class="bar s-cancelled" style="position:static;display:inline-block"></i>cancelled</span><span><i class="bar s-running" style="position:static;display:inline-block"></i>running</span><span><i class="wait" style="position:static;display:inline-block;width:.9rem;height:.6rem"></i>retry wait</span></div>
<div class="gantt" id="gantt" data-axis-start="${report.axis.start}" data-axis-end="${report.axis.end}">
${axisRow(report)}
${timelineRows(run, report)}
</div>
</section>
<section id="commands">
<h2>Commands</h2>
${commandDetails(run, report, reportDir)}
</section>
${runFacts(run, reportDir)}
<footer>Generated by codex-orchestrator ${VERSION} at ${new Date(report.generatedAt).toISOString()} from <span class="mono">${t(relative(reportDir, run.manifestPath).split(sep).join("/"))}</span>. Output tails show at most ${report.tailBytes} bytes per stream; the command logs hold the rest.</footer>
<script>${trustedHtml(script)}</script>
</body>
</html>
`;
  return page.text;
}

function countLine(run: ReportRun): string {
  const counts = new Map<string, number>();
  for (const c of run.commands) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
  const parts = [...counts].map(([status, n]) => `${n} ${statusLabel(status)}`);
  return `${run.commands.length} (${parts.join(", ") || "none"})`;
}

function activityNote(run: ReportRun, now: number): HtmlValue {
  if (!isActive(run)) return null;
  if (run.activity.stale) {
    return html`<p class="note">This run is <strong>stale</strong>: its process is gone (last heartbeat ${run.activity.age_seconds === null ? "unknown" : `${Math.floor(run.activity.age_seconds)} s`} before this report). Close it with <code>codex-orchestrator cancel ${run.manifest.run_id}</code> or rerun it with <code>codex-orchestrator resume ${run.manifest.run_id}</code>.</p>`;
  }
  return html`<p class="note">This run was still active when the report was made (${new Date(now).toISOString()}): what is shown is a snapshot.</p>`;
}

function axisRow(report: RunReport): SafeHtml {
  const span = report.axis.end - report.axis.start;
  const ticks = axisTicks(span);
  return html`<div class="row axis"><div class="label">stage</div><div class="track">${ticks.map((tick) => html`<span class="tick" style="left:${pct((tick / span) * 100)}">${formatOffset(tick)}</span>`)}</div><div class="dur">duration</div></div>`;
}

function timelineRows(run: ReportRun, report: RunReport): SafeHtml[] {
  const rows: SafeHtml[] = [];
  for (const command of run.commands) {
    rows.push(timelineRow(command, run, report));
    if (command.child !== null) {
      const child = command.child;
      rows.push(
        html`<div class="row child-head depth-${child.depth}" data-run-id="${child.manifest.run_id}"><div class="label">↳ ${t(child.manifest.pipeline_title)} <span class="mono">${child.manifest.run_id}</span></div><div class="track"></div><div class="dur"><span class="badge s-${child.manifest.status}">${child.manifest.status}</span></div></div>`,
      );
      rows.push(...timelineRows(child, report));
    } else if (command.childProblem !== null) {
      rows.push(html`<div class="row child-head depth-${run.depth + 1}"><div class="label">↳ child run not readable: ${t(command.childProblem)}</div><div class="track"></div><div class="dur"></div></div>`);
    }
  }
  return rows;
}

function timelineRow(command: ReportCommand, run: ReportRun, report: RunReport): SafeHtml {
  const { start, end } = report.axis;
  const span = end - start;
  const place = (from: number, to: number) => `left:${pct(((from - start) / span) * 100)};width:${pct(((to - from) / span) * 100)}`;
  const problem = isProblem(command);
  const anchor = anchorOf(command);
  const barEnd = commandEnd(command, run, report.generatedAt);
  const duration = durationOf(command, run, report.generatedAt);
  const label = `${command.title} — ${statusLabel(command.status)}${duration === null ? "" : ` — ${formatDurationMs(duration)}`}${command.exitCode === null ? "" : ` — exit ${command.exitCode}`}`;
  const earlier = command.executions.slice(0, -1).map((e) => earlierExecution(e, place, command.endedAt ?? report.generatedAt));
  let track: HtmlValue;
  if (command.startedAt === null || barEnd === null) {
    track = html`<span class="notrun">${command.status === "cancelled" ? "cancelled before it started" : "not run"}</span>`;
  } else {
    const kind = command.kind;
    const last = command.executions.at(-1);
    const attempts = kind === "command" && last !== undefined ? attemptSegments(last, command.startedAt, barEnd) : null;
    track = html`<a class="bar ${kind === "subpipeline" ? "sub " : ""}s-${command.status}" href="#${anchor}" data-kind="${kind}" data-key="${command.key}" data-status="${command.status}" data-start-ms="${command.startedAt}" data-end-ms="${barEnd}" style="${place(command.startedAt, barEnd)}" title="${t(label)}">${attempts}</a>`;
  }
  return html`<div class="row cmd-row depth-${run.depth} s-${command.status}${problem ? " problem" : ""}" data-key="${command.key}" data-status="${command.status}"><div class="label" title="${t(label)}"><span class="idx">${command.index}</span><a href="#${anchor}">${t(command.title)}</a><span class="mark" aria-label="${statusLabel(command.status)}">${MARK[command.status] ?? ""}</span></div><div class="track">${earlier}${track}</div><div class="dur">${duration === null ? "—" : formatDurationMs(duration)}</div></div>`;
}

/** An execution before the last one (a resume reran the stage): a faded bar on the same axis. */
function earlierExecution(e: ExecutionRecord, place: (from: number, to: number) => string, fallbackEnd: number): SafeHtml {
  const endAt = e.endedAt ?? e.attempts.at(-1)?.endedAt ?? Math.min(fallbackEnd, e.startedAt);
  const status = e.exitCode === 0 ? "succeeded" : "failed";
  return html`<span class="bar earlier s-${status}" data-kind="earlier-execution" style="${place(e.startedAt, Math.max(endAt, e.startedAt))}" title="${`earlier execution${e.exitCode === null ? "" : ` — exit ${e.exitCode}`}`}"></span>`;
}

/** The attempts of the last execution inside its bar, and the retry waits between them. */
function attemptSegments(e: ExecutionRecord, barStart: number, barEnd: number): SafeHtml[] | null {
  if (e.attempts.length === 0) return null;
  const span = Math.max(1, barEnd - barStart);
  const place = (from: number, to: number) => `left:${pct(((from - barStart) / span) * 100)};width:${pct(((Math.max(to, from) - from) / span) * 100)}`;
  const out: SafeHtml[] = [];
  e.attempts.forEach((a: AttemptRecord, i: number) => {
    const end = a.endedAt ?? barEnd;
    const title = `attempt ${a.attempt}: ${a.status}${a.exitCode === null ? "" : `, exit ${a.exitCode}`}${a.signal === null ? "" : `, ${a.signal}`} — ${formatDurationMs(end - a.startedAt)} — ${a.sandboxState}`;
    // The last attempt decided the stage: it takes the bar's colour; an attempt that was retried is marked by its own.
    const kind = i === e.attempts.length - 1 ? "last" : a.status;
    out.push(html`<span class="attempt a-${kind}" data-attempt="${a.attempt}" data-start-ms="${a.startedAt}" data-end-ms="${end}" style="${place(a.startedAt, end)}" title="${t(title)}"></span>`);
    if (a.retry !== null) {
      const next = e.attempts[i + 1];
      const waitEnd = next?.startedAt ?? a.retry.at + a.retry.delayMs;
      out.push(html`<span class="wait" data-retry-after="${a.attempt}" style="${place(end, waitEnd)}" title="${t(`retry after ${a.retry.delayMs} ms: ${a.retry.error}`)}"></span>`);
    }
  });
  return out;
}

function commandDetails(run: ReportRun, report: RunReport, reportDir: string): SafeHtml[] {
  return run.commands.map((command) => {
    const child = command.child;
    const nested =
      child === null
        ? command.childProblem === null
          ? ""
          : html`<p class="note">Child run not readable: ${t(command.childProblem)}</p>`
        : html`<div class="child-run" data-run-id="${child.manifest.run_id}"><h3>↳ ${t(child.manifest.pipeline_title)} <span class="badge s-${child.manifest.status}">${child.manifest.status}</span> <small class="mono muted">${child.manifest.run_id}</small></h3>${commandDetails(child, report, reportDir)}</div>`;
    return html`${commandDetail(command, run, report, reportDir)}${nested}`;
  });
}

function fact(name: string, value: HtmlValue): SafeHtml {
  return html`<dt>${name}</dt><dd>${value}</dd>`;
}

function commandDetail(command: ReportCommand, run: ReportRun, report: RunReport, reportDir: string): SafeHtml {
  const duration = durationOf(command, run, report.generatedAt);
  const tool = command.tool;
  const open = command.status === "failed";
  const facts: SafeHtml[] = [];
  if (command.command !== null) facts.push(fact("Command", html`<pre class="cmdline mono">${t(command.command)}</pre>`));
  facts.push(fact("Status", html`<span class="badge s-${command.status}">${statusLabel(command.status)}</span>`));
  facts.push(fact("Exit code", command.exitCode === null ? "—" : String(command.exitCode)));
  facts.push(fact("Duration", duration === null ? "—" : formatDurationMs(duration)));
  facts.push(fact("Started", command.startedAt === null ? "—" : `${new Date(command.startedAt).toISOString()} (+${formatOffset(command.startedAt - report.axis.start)})`));
  if (tool !== null) {
    const mode = tool.sandboxMode === null ? "no sandbox asked for" : `${tool.sandboxMode} asked for`;
    facts.push(fact("Sandbox", html`<span class="mono">${tool.sandboxState}</span> · backend <span class="mono">${tool.sandboxBackend}</span> · ${mode}`));
    facts.push(
      fact(
        "Approval",
        html`<span class="mono">${tool.approvalSource}</span> · policy <span class="mono">${tool.approvalPolicy ?? "—"}</span>${tool.approvalKey === null ? "" : html` · key <span class="mono">${t(tool.approvalKey)}</span>`}${tool.escalationKey === null ? "" : html` · escalation key <span class="mono">${t(tool.escalationKey)}</span>`}`,
      ),
    );
    facts.push(fact("Attempts", `${tool.attemptCount} (${tool.retryCount} ${tool.retryCount === 1 ? "retry" : "retries"})`));
    if (tool.cwd !== null) facts.push(fact("Working directory", html`<span class="mono">${t(tool.cwd)}</span>`));
    if (tool.timeoutSeconds !== null) facts.push(fact("Timeout", `${tool.timeoutSeconds} s`));
  }
  if (command.session !== null) {
    const s = command.session;
    facts.push(fact("Session", html`<span class="mono">${t(s.id)}</span>${s.persisted ? " · persisted" : ""}${s.reused ? " · reused" : ""}`));
  }
  if (command.summary !== null) facts.push(fact("Summary", html`<pre class="cmdline">${t(command.summary)}</pre>`));
  if (command.kind === "command") facts.push(fact("Log", fileLink(command.logFile, reportDir)));
  if (command.errorFile !== null) facts.push(fact("Error file", fileLink(command.errorFile, reportDir)));
  if (command.child !== null) facts.push(fact("Child manifest", fileLink(command.child.manifestPath, reportDir)));
  const summaryLine = html`<span class="idx">${command.index}</span><strong>${t(command.title)}</strong> <span class="badge s-${command.status}">${statusLabel(command.status)}</span><span class="muted">${command.exitCode === null ? "" : `exit ${command.exitCode} · `}${duration === null ? "not run" : formatDurationMs(duration)}${command.kind === "subpipeline" ? " · sub-pipeline" : ""}</span>`;
  return html`<details class="cmd s-${command.status}${isProblem(command) ? " problem" : ""}" id="${anchorOf(command)}" data-key="${command.key}"${open ? trustedHtml(" open") : ""}><summary>${summaryLine}</summary><div class="body"><dl class="facts">${facts}</dl>${attemptsTable(command, report)}${outputSections(command)}</div></details>`;
}

function attemptsTable(command: ReportCommand, report: RunReport): HtmlValue {
  const rows: SafeHtml[] = [];
  command.executions.forEach((e, n) => {
    for (const a of e.attempts) {
      const end = a.endedAt;
      rows.push(
        html`<tr data-attempt="${a.attempt}"><td>${command.executions.length > 1 ? `${n + 1}.` : ""}${a.attempt}</td><td>+${formatOffset(a.startedAt - report.axis.start)}</td><td>${end === null ? "running" : formatDurationMs(end - a.startedAt)}</td><td>${a.status}</td><td>${a.exitCode === null ? (a.signal ?? "—") : String(a.exitCode)}</td><td class="mono">${a.sandboxState}</td><td>${a.retry === null ? "—" : html`retry after ${a.retry.delayMs} ms: ${t(a.retry.error)}`}</td></tr>`,
      );
    }
  });
  if (rows.length === 0) return null;
  const note = command.executions.length > 1 ? html`<p class="muted">The stage ran ${command.executions.length} times (resumed); attempts are numbered execution.attempt.</p>` : "";
  return html`<h4>Attempts</h4>${note}<table class="attempts"><thead><tr><th>#</th><th>start</th><th>duration</th><th>status</th><th>exit</th><th>sandbox</th><th>retry</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function outputSections(command: ReportCommand): HtmlValue {
  if (command.kind !== "command") return null;
  const parts: SafeHtml[] = [];
  if (command.tailProblem !== null) parts.push(html`<p class="note">${t(command.tailProblem)}</p>`);
  if (command.outputTruncated !== null) {
    parts.push(html`<p class="note">Output past the ${command.outputTruncated.limitBytes}-byte log limit (--max-output-bytes) was not recorded.</p>`);
  }
  if (command.tailsIncomplete) parts.push(html`<p class="note">The log is large: only its end was read for the tails below.</p>`);
  const many = command.tails.length > 1;
  for (const tails of command.tails) {
    for (const stream of ["stdout", "stderr"] as const) {
      const tail = tails[stream];
      if (tail.bytes.length === 0 && tail.omittedBytes === 0) continue;
      parts.push(html`<h4>${stream}${many ? ` — attempt ${tails.attempt}` : ""}${tail.omittedBytes > 0 ? ` (last ${tail.bytes.length} bytes; ${tail.omittedBytes} earlier bytes in the log)` : ""}</h4><pre class="out" data-stream="${stream}" data-attempt="${tails.attempt}">${styledOutput(tail)}</pre>`);
    }
  }
  if (command.startedAt !== null && command.tails.every((a) => a.stdout.bytes.length === 0 && a.stderr.bytes.length === 0)) {
    parts.push(html`<p class="muted">No output.</p>`);
  }
  return parts;
}

const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** A tail's text: invalid UTF-8 shows as U+FFFD; a cut through a character at its start is dropped. */
export function tailText(tail: StreamTail): string {
  let bytes = tail.bytes;
  if (tail.omittedBytes > 0) {
    let skip = 0;
    while (skip < 3 && skip < bytes.length && ((bytes[skip] as number) & 0xc0) === 0x80) skip++;
    bytes = bytes.subarray(skip);
  }
  return decoder.decode(Buffer.from(bytes));
}

function styleClasses(style: TextStyle): string {
  const classes: string[] = [];
  if (style.fg !== null) classes.push(`t${style.fg}`);
  if (style.bg !== null) classes.push(`g${style.bg}`);
  if (style.bold) classes.push("tb");
  if (style.dim) classes.push("td");
  if (style.italic) classes.push("ti");
  if (style.underline) classes.push("tu");
  if (style.strike) classes.push("ts");
  if (style.inverse) classes.push("tr");
  return classes.join(" ");
}

function styledRun(run: StyledRun): SafeHtml {
  const text = t(run.text);
  if (run.style === null) return html`${text}`;
  const css = [run.style.fgRgb === null ? "" : `color:${run.style.fgRgb}`, run.style.bgRgb === null ? "" : `background:${run.style.bgRgb}`].filter(Boolean).join(";");
  return css === "" ? html`<span class="${styleClasses(run.style)}">${text}</span>` : html`<span class="${styleClasses(run.style)}" style="${css}">${text}</span>`;
}

function styledOutput(tail: StreamTail): SafeHtml {
  return joinHtml(terminalRuns(tailText(tail)).map(styledRun));
}

function runFacts(run: ReportRun, reportDir: string): SafeHtml {
  const m = run.manifest;
  const metrics = m.metrics;
  const notifications = m.notifications;
  const metricsHtml =
    metrics === null
      ? html`<p class="muted">Not recorded (the run has not finished).</p>`
      : html`<dl class="facts"><dt>Command latency p50</dt><dd>${metrics.commandLatencyMs.p50 === null ? "—" : formatDurationMs(metrics.commandLatencyMs.p50)}</dd><dt>p95</dt><dd>${metrics.commandLatencyMs.p95 === null ? "—" : formatDurationMs(metrics.commandLatencyMs.p95)}</dd><dt>max</dt><dd>${metrics.commandLatencyMs.max === null ? "—" : formatDurationMs(metrics.commandLatencyMs.max)}</dd><dt>Approval reuse</dt><dd>${metrics.approvalReuse === null ? "—" : `${Math.round(metrics.approvalReuse * 100)}%`}</dd><dt>Metrics line recorded</dt><dd>${m.metrics_recorded ? "yes" : "no"}</dd></dl>`;
  const notificationsHtml =
    notifications === null
      ? html`<p class="muted">None sent.</p>`
      : html`<table><thead><tr><th>target</th><th>result</th></tr></thead><tbody>${notifications.targets.map((target) => {
          const failure = notifications.failures.find((f) => f.target === target);
          const delivered = notifications.delivered.includes(target);
          return html`<tr><td class="mono">${t(target)}</td><td>${failure !== undefined ? html`<span class="badge s-failed">failed</span> ${t(failure.error)}` : delivered ? html`<span class="badge s-succeeded">delivered</span>` : "—"}</td></tr>`;
        })}</tbody></table>`;
  const sources = m.instructions.sources;
  const instructionsHtml =
    sources.length === 0
      ? html`<p class="muted">No instruction files (AGENTS.md, docs/AGENTS.md, .agent/AGENTS.md) contributed.</p>`
      : html`<table><thead><tr><th>file</th><th>bytes</th></tr></thead><tbody>${sources.map((s) => html`<tr><td class="mono">${t(s.path)}</td><td>${s.bytes}</td></tr>`)}</tbody></table><p class="muted">hash <span class="mono">${m.instructions.hash ?? "—"}</span></p>`;
  const approvals =
    m.approvals.length === 0
      ? ""
      : html`<h3>Approvals</h3><table><thead><tr><th>actor</th><th>time</th><th>reason</th></tr></thead><tbody>${m.approvals.map((a) => html`<tr><td>${t(a.actor)}</td><td>${t(a.timestamp)}</td><td>${t(a.reason ?? "")}</td></tr>`)}</tbody></table>`;
  const resumes =
    m.resume_events.length === 0
      ? ""
      : html`<h3>Resumes</h3><table><thead><tr><th>time</th><th>actor</th><th>reason</th><th>outcome</th></tr></thead><tbody>${m.resume_events.map((r) => html`<tr><td>${r.timestamp}</td><td>${t(r.actor)}</td><td>${t(r.reason)}</td><td>${r.outcome}${r.detail ? ` (${t(r.detail)})` : ""}</td></tr>`)}</tbody></table>`;
  const files = [
    ["Manifest", run.manifestPath],
    ["Runner log", `${run.dir}/runner.ndjson`],
    ["Run summary", `${run.dir}/run-summary.json`],
    ["Task metrics", `${dirname(dirname(run.dir))}/metrics.json`],
  ] as const;
  const logNote =
    run.logMissing || run.unreadableLogLines > 0
      ? html`<p class="note">${run.logMissing ? "The runner log is missing: attempts and retries are not shown." : `${run.unreadableLogLines} line(s) of the runner log are not JSON and were skipped.`}</p>`
      : "";
  return html`<section id="run-facts"><h2>Run</h2>${logNote}<h3>Metrics</h3>${metricsHtml}<h3>Notifications</h3>${notificationsHtml}<h3>Instructions</h3>${instructionsHtml}${approvals}${resumes}<h3>Files</h3><dl class="facts">${files.map(([name, path]) => fact(name, fileLink(path, reportDir)))}</dl></section>`;
}
