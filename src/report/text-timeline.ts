import { redact } from "../core/redact.ts";
import { statusLabel } from "../core/summary.ts";
import { commandEnd, flattenCommands, type ReportCommand, type ReportRun, type RunReport } from "./report-model.ts";
import { formatDurationMs, formatOffset } from "./time-format.ts";

export type TextTimelineOptions = {
  /** Terminal width in columns. */
  columns: number;
  /** ANSI colours (off when NO_COLOR is set, or not a terminal). */
  color: boolean;
};

const MARK: Record<string, string> = { succeeded: "✔", cached: "✔", failed: "✖", skipped: "⚠", cancelled: "⊘", running: "…", pending: "·" };
const COLOR: Record<string, number> = { succeeded: 32, failed: 31, skipped: 33, cancelled: 90, running: 34, pending: 90, wait: 33 };
/** Left-aligned blocks of 1/8 … 8/8 of a cell. */
const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"];

/** `NO_COLOR` (https://no-color.org): any non-empty value turns colour off. */
export function colorAllowed(env: Record<string, string | undefined>, isTTY: boolean): boolean {
  return isTTY && (env.NO_COLOR === undefined || env.NO_COLOR === "") && env.TERM !== "dumb";
}

/** Display width of text, counting each code point as one column (titles are cut to fit, never wrapped). */
function fit(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text + " ".repeat(width - chars.length);
  return `${chars.slice(0, Math.max(0, width - 1)).join("")}…`;
}

type Cell = { ch: string; kind: string };

/**
 * The run's timeline as text lines for a terminal (`status`): one line per stage — child runs' stages indented under
 * their sub-pipeline stage — with a bar on the run's time axis drawn in Unicode blocks (eighths of a cell), retry
 * waits as `░`, then the duration and the status.
 */
export function renderTextTimeline(report: RunReport, options: TextTimelineOptions): string[] {
  const rows = flattenCommands(report.run);
  const paint = (kind: string, text: string) => (options.color && text.trim() !== "" ? `\x1b[${COLOR[kind] ?? 39}m${text}\x1b[39m` : text);
  const labelWidth = Math.min(32, Math.max(12, ...rows.map(({ command, run }) => 2 * run.depth + 4 + [...command.title].length)));
  const tailWidth = 24;
  const width = Math.max(10, options.columns - labelWidth - tailWidth - 4);
  const { start, end } = report.axis;
  const span = end - start;
  const col = (t: number) => ((t - start) / span) * width;
  const lines: string[] = [];
  const total = formatOffset(span);
  const axisFill = Math.max(1, width - 1 - [...total].length);
  // The bars start after two spaces, the label and one space.
  lines.push(`${fit("Timeline", labelWidth + 3)}0${"─".repeat(axisFill)}${total}`);
  for (const { command, run } of rows) {
    const label = fit(`${"  ".repeat(run.depth)}${String(command.index).padStart(2)} ${redact(command.title)}`, labelWidth);
    const cells = barCells(command, run, report.generatedAt, col, width);
    let bar = "";
    let kind = "";
    let piece = "";
    for (const cell of cells) {
      if (cell.kind !== kind) {
        bar += paint(kind, piece);
        kind = cell.kind;
        piece = "";
      }
      piece += cell.ch;
    }
    bar += paint(kind, piece);
    const endAt = commandEnd(command, run, report.generatedAt);
    const duration = command.startedAt === null || endAt === null ? "—" : formatDurationMs(endAt - command.startedAt);
    const status = `${MARK[command.status] ?? " "} ${statusLabel(command.status)}`;
    lines.push(`  ${label} ${bar} ${duration.padStart(9)} ${paint(command.status, status)}`);
  }
  return lines;
}

function barCells(command: ReportCommand, run: ReportRun, now: number, col: (t: number) => number, width: number): Cell[] {
  const cells: Cell[] = Array.from({ length: width }, () => ({ ch: " ", kind: "" }));
  const endAt = commandEnd(command, run, now);
  if (command.startedAt === null || endAt === null) {
    const text = command.status === "pending" ? "not run" : "";
    for (let i = 0; i < text.length && i < width; i++) cells[i] = { ch: text[i] as string, kind: "pending" };
    return cells;
  }
  const status = command.status;
  fill(cells, col(command.startedAt), col(endAt), status === "running" || status === "pending" ? "running" : status);
  // Retry waits, and failed attempts that were retried, over the bar.
  const last = command.executions.at(-1);
  for (const attempt of last?.attempts ?? []) {
    if (attempt.retry === null) continue;
    const attemptEnd = attempt.endedAt ?? attempt.startedAt;
    const next = last?.attempts.find((a) => a.attempt === attempt.attempt + 1);
    const waitEnd = next?.startedAt ?? attempt.retry.at + attempt.retry.delayMs;
    fill(cells, col(attempt.startedAt), col(attemptEnd), "failed");
    fill(cells, col(attemptEnd), col(waitEnd), "wait", "░");
  }
  return cells;
}

/** Cells from column `from` to `to` (fractions): whole cells as `█` (or `ch`), the last one as an eighth; at least one. */
function fill(cells: Cell[], from: number, to: number, kind: string, ch = "█"): void {
  const width = cells.length;
  const first = Math.min(width - 1, Math.max(0, Math.floor(from)));
  const stop = Math.min(width, Math.max(to, first));
  let i = first;
  for (; i + 1 <= stop; i++) cells[i] = { ch, kind };
  const rest = stop - i;
  if (i < width) {
    const eighth = Math.round(rest * 8);
    if (ch === "█" && eighth > 0) cells[i] = { ch: EIGHTHS[eighth] as string, kind };
    else if (i === first) cells[i] = { ch: ch === "█" ? "▏" : ch, kind };
  }
}
