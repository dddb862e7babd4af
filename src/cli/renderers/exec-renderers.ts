import { chunkBytesOf } from "../../core/chunk-event.ts";
import type { OrchestratorEvent } from "../../core/schemas/events.ts";
import type { EventSubscriber } from "../../core/event-stream.ts";
import type { ExecOutputMode } from "../exec-args.ts";
import type { OutputStream } from "../output-stream.ts";

export type ExecRendererOptions = {
  mode: ExecOutputMode;
  jsonStyle: "pretty" | "compact";
  quiet: boolean;
  stdout: OutputStream;
  stderr: OutputStream;
  shell: string;
};

export type ExecRenderer = {
  /** Subscriber for the event stream (chunks, retries); `run:summary` is rendered by `finish`. */
  onEvent: EventSubscriber;
  /** Prints what precedes the run (interactive `$ <shell>` line). */
  start(): Promise<void> | undefined;
  /** Prints the final `run:summary` in the mode's form. */
  finish(summary: OrchestratorEvent, trailer: { runId: string; status: string; manifest: string; log: string }): Promise<void>;
};

/** A chunk's output bytes: those it carries, else decoded from its payload. */
function chunkBytes(event: OrchestratorEvent & { type: "exec:chunk" }): Uint8Array | string {
  const carried = chunkBytesOf(event);
  if (carried !== undefined) return carried.raw;
  const { payload } = event;
  return payload.encoding === "base64" ? Buffer.from(payload.data, "base64") : payload.data;
}

/** One renderer per output mode (SPEC §14.3). */
export function createExecRenderer(options: ExecRendererOptions): ExecRenderer {
  const { stdout, stderr } = options;
  if (options.mode === "jsonl") {
    return {
      onEvent: (event) => stdout.writeEvent(event),
      start: () => undefined,
      async finish(summary) {
        await stdout.write(`${JSON.stringify(summary)}\n`);
        await stdout.flush();
      },
    };
  }
  if (options.mode === "json") {
    return {
      onEvent: () => undefined,
      start: () => undefined,
      async finish(summary) {
        const text = options.jsonStyle === "compact" ? JSON.stringify(summary) : JSON.stringify(summary, null, 2);
        await stdout.write(`${text}\n`);
        await stdout.flush();
      },
    };
  }
  return {
    onEvent(event) {
      if (event.type === "exec:chunk") {
        const target = event.payload.stream === "stderr" ? stderr : stdout;
        return target.write(chunkBytes(event));
      }
      if (event.type === "exec:retry") {
        return stderr.write(`[retry] attempt ${event.payload.attempt + 1} in ${event.payload.delayMs}ms — ${event.payload.errorMessage}\n`);
      }
      return undefined;
    },
    start: () => (options.quiet ? undefined : stdout.write(`$ ${options.shell}\n`)),
    async finish(_summary, trailer) {
      if (!options.quiet) {
        await stdout.write(`\n${trailer.runId} ${trailer.status.toUpperCase()}\nManifest: ${trailer.manifest}\nLog: ${trailer.log}\n`);
      }
      await stdout.flush();
    },
  };
}
