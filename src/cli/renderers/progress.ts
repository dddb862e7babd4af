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
};
// `skipped` is the record of a stage that failed with `allowFailure` (or an optional sub-pipeline): it reads
// `failed (allowed)` (issue 22.11).
const PLAIN_MARKS: Record<string, string> = { succeeded: "ok", failed: "FAILED", skipped: statusLabel("skipped"), cancelled: "cancelled" };
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

type Active = { key: string; title: string; depth: number; started: number; headed: boolean };

export function formatElapsed(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${Math.floor((ms % 60_000) / 1000)}s`;
}

/**
 * Live progress of `start`/`resume` in a terminal (issue 3): one line per stage with a spinner and the elapsed time,
 * rewritten in place, then the final mark. Child-run stages are indented under their sub-pipeline stage, whose line
 * is printed as a header when the child starts. Only `stage:begin`/`stage:end` are used.
 */
export function createProgressRenderer(options: ProgressOptions): ProgressRenderer {
  const { out } = options;
  const now = options.now ?? (() => performance.now());
  const stack: Active[] = [];
  const runDepth = new Map<string, number>();
  let frame = 0;
  let lineOpen = false;
  let timer: ReturnType<typeof setInterval> | null = null;

  const indent = (depth: number) => "  ".repeat(depth);
  const key = (runId: string, index: number) => `${runId}#${index}`;

  const drawSpinner = () => {
    const top = stack[stack.length - 1];
    if (top === undefined) return;
    frame = (frame + 1) % FRAMES.length;
    const text = `${indent(top.depth)}\x1b[36m${FRAMES[frame]}\x1b[39m ${top.title} \x1b[2m${formatElapsed(now() - top.started)}\x1b[22m`;
    out.write(`\r\x1b[2K${text}`);
    lineOpen = true;
  };
  const closeLine = () => {
    if (lineOpen) out.write("\r\x1b[2K");
    lineOpen = false;
  };
  const stopTimer = () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  };

  const onBegin = (event: Extract<OrchestratorEvent, { type: "stage:begin" }>) => {
    const p = event.payload;
    // The first run seen is the top-level one; a child run sits one level under the stage that started it.
    if (!runDepth.has(p.runId)) runDepth.set(p.runId, stack.length === 0 ? 0 : (stack[stack.length - 1] as Active).depth + 1);
    const depth = runDepth.get(p.runId) as number;
    const parent = stack[stack.length - 1];
    if (options.mode === "tty") {
      closeLine();
      // The sub-pipeline stage's line becomes a header above its child's stages.
      if (parent !== undefined && !parent.headed) {
        out.write(`${indent(parent.depth)}\x1b[36m▸\x1b[39m ${parent.title}\n`);
        parent.headed = true;
      }
    } else {
      out.write(`${indent(depth)}▸ ${p.title}\n`);
    }
    stack.push({ key: key(p.runId, p.index), title: p.title, depth, started: now(), headed: false });
    if (options.mode === "tty") {
      drawSpinner();
      if (timer === null) {
        timer = setInterval(drawSpinner, FRAME_MS);
        (timer as { unref?: () => void }).unref?.();
      }
    }
  };

  const onEnd = (event: Extract<OrchestratorEvent, { type: "stage:end" }>) => {
    const p = event.payload;
    const at = stack.findIndex((a) => a.key === key(p.runId, p.index));
    if (at === -1) return;
    const [done] = stack.splice(at, 1) as [Active];
    const elapsed = formatElapsed(p.durationMs);
    if (options.mode === "tty") {
      closeLine();
      const mark = MARKS[p.status] ?? "•";
      const note = p.status === "skipped" ? ` \x1b[33m${statusLabel(p.status)}\x1b[39m` : "";
      out.write(`${indent(done.depth)}${mark} ${done.title}${note} \x1b[2m${elapsed}\x1b[22m\n`);
      if (stack.length === 0) stopTimer();
      else drawSpinner();
    } else {
      out.write(`${indent(done.depth)}${PLAIN_MARKS[p.status] ?? p.status} ${done.title} (${elapsed})\n`);
    }
  };

  return {
    onEvent(event) {
      if (event.type === "stage:begin") onBegin(event);
      else if (event.type === "stage:end") onEnd(event);
      return undefined;
    },
    async finish() {
      stopTimer();
      if (options.mode === "tty") closeLine();
      await out.flush();
    },
  };
}
