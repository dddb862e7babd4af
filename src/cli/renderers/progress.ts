import type { EventSubscriber } from "../../core/event-stream.ts";
import type { OrchestratorEvent } from "../../core/schemas/events.ts";
import { statusLabel } from "../../core/summary.ts";
import type { OutputStream } from "../output-stream.ts";

/** consola-style spinner frames and final marks. */
const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const MARKS: Record<string, string> = {
  succeeded: "\x1b[32m✔\x1b[39m",
  failed: "\x1b[31m✖\x1b[39m",
  skipped: "\x1b[33m○\x1b[39m",
  cancelled: "\x1b[33m⊘\x1b[39m",
  cached: "\x1b[32m✔\x1b[39m",
};
// `skipped` is the record of a stage that failed with `allowFailure` (or an optional sub-pipeline): it reads
// `failed (allowed)` (issue 22.11).
const PLAIN_MARKS: Record<string, string> = { succeeded: "ok", failed: "FAILED", skipped: statusLabel("skipped"), cancelled: "cancelled", cached: "cached" };
const FRAME_MS = 80;

export type ProgressOptions = {
  out: OutputStream;
  /** `tty`: a live spinner line per stage; `plain`: one line when a stage starts and one when it ends. */
  mode: "tty" | "plain";
  now?: () => number;
};

export type ProgressRenderer = {
  onEvent: EventSubscriber;
  /** Stops the spinner and leaves the cursor on a fresh line (before the command prints its result). */
  finish(): Promise<void>;
};

type Active = { key: string; runId: string; kind: string; title: string; depth: number; started: number; headed: boolean };

export function formatElapsed(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${Math.floor((ms % 60_000) / 1000)}s`;
}

/**
 * Live progress of `start`/`resume` in a terminal (issue 3, issue 17): one spinner line per running stage with its
 * elapsed time — several at once when a graph runs stages in parallel — redrawn in place below the finished stages,
 * each of which leaves one line with its final mark. Child-run stages are indented under their sub-pipeline stage,
 * whose line becomes a header when the child starts. Only `stage:begin`/`stage:end` are used.
 */
export function createProgressRenderer(options: ProgressOptions): ProgressRenderer {
  const { out } = options;
  const now = options.now ?? (() => performance.now());
  /** Running stages in the order they are drawn. */
  const active: Active[] = [];
  const runDepth = new Map<string, number>();
  let frame = 0;
  /** Lines of the live region now on the screen (the cursor is at the end of the last one). */
  let drawn = 0;
  let timer: ReturnType<typeof setInterval> | null = null;

  const indent = (depth: number) => "  ".repeat(depth);
  const key = (runId: string, index: number) => `${runId}#${index}`;

  const clearRegion = () => {
    if (drawn === 1) out.write("\r\x1b[2K");
    else if (drawn > 1) out.write(`\r\x1b[${drawn - 1}A\x1b[J`);
    drawn = 0;
  };
  const drawRegion = () => {
    const lines = active
      .filter((a) => !a.headed)
      .map((a) => `${indent(a.depth)}\x1b[36m${FRAMES[frame]}\x1b[39m ${a.title} \x1b[2m${formatElapsed(now() - a.started)}\x1b[22m`);
    clearRegion();
    if (lines.length === 0) return;
    out.write(lines.join("\n"));
    drawn = lines.length;
  };
  /** A line that stays: above the live region, which is drawn again below it. */
  const permanent = (line: string) => {
    clearRegion();
    out.write(`${line}\n`);
    drawRegion();
  };
  const stopTimer = () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  };
  const tick = () => {
    frame = (frame + 1) % FRAMES.length;
    drawRegion();
  };

  /** The sub-pipeline stage that started a child run: by the child's `parentRunId`, else the latest one running. */
  const parentOf = (parentRunId: string | null | undefined): Active | undefined => {
    const candidates = active.filter((a) => a.kind === "subpipeline" && (parentRunId == null || a.runId === parentRunId));
    return candidates.find((a) => !a.headed) ?? candidates.at(-1) ?? (parentRunId == null ? active.at(-1) : undefined);
  };

  const onBegin = (event: Extract<OrchestratorEvent, { type: "stage:begin" }>) => {
    const p = event.payload;
    let parent: Active | undefined;
    if (!runDepth.has(p.runId)) {
      // The first run seen is the top-level one; a child run sits one level under the stage that started it.
      parent = active.length === 0 ? undefined : parentOf(p.parentRunId);
      runDepth.set(p.runId, parent === undefined ? 0 : parent.depth + 1);
    }
    const depth = runDepth.get(p.runId) as number;
    const entry: Active = { key: key(p.runId, p.index), runId: p.runId, kind: p.kind, title: p.title, depth, started: now(), headed: false };
    if (options.mode === "plain") {
      out.write(`${indent(depth)}▸ ${p.title}\n`);
      active.push(entry);
      return;
    }
    // The sub-pipeline stage's line becomes a header above its child's stages.
    if (parent !== undefined && !parent.headed) {
      parent.headed = true;
      permanent(`${indent(parent.depth)}\x1b[36m▸\x1b[39m ${parent.title}`);
    }
    active.push(entry);
    drawRegion();
    if (timer === null) {
      timer = setInterval(tick, FRAME_MS);
      (timer as { unref?: () => void }).unref?.();
    }
  };

  const onEnd = (event: Extract<OrchestratorEvent, { type: "stage:end" }>) => {
    const p = event.payload;
    const at = active.findIndex((a) => a.key === key(p.runId, p.index));
    if (at === -1) return;
    const [done] = active.splice(at, 1) as [Active];
    const elapsed = formatElapsed(p.durationMs);
    if (options.mode === "plain") {
      out.write(`${indent(done.depth)}${PLAIN_MARKS[p.status] ?? p.status} ${done.title} (${elapsed})\n`);
      return;
    }
    const mark = MARKS[p.status] ?? "•";
    const note =
      p.status === "skipped" ? ` \x1b[33m${statusLabel(p.status)}\x1b[39m` : p.status === "cached" ? " \x1b[2m(cached)\x1b[22m" : "";
    permanent(`${indent(done.depth)}${mark} ${done.title}${note} \x1b[2m${elapsed}\x1b[22m`);
    if (active.length === 0) stopTimer();
  };

  return {
    onEvent(event) {
      if (event.type === "stage:begin") onBegin(event);
      else if (event.type === "stage:end") onEnd(event);
      return undefined;
    },
    async finish() {
      stopTimer();
      if (options.mode === "tty") clearRegion();
      await out.flush();
    },
  };
}
