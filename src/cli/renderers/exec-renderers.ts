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
  /** Subscriber for the event stream: chunks and retries as they come, the final `run:summary` in the mode's form. */
  onEvent: EventSubscriber;
  /** Prints what precedes the run (interactive `$ <shell>` line). */
  start(): Promise<void> | undefined;
  /** Waits until everything printed has been handed to the OS. */
  finish(): Promise<void>;
};

/** A chunk's output bytes: those it carries (written, i.e. copied, at once), else decoded from its payload. */
function chunkBytes(event: OrchestratorEvent & { type: "exec:chunk" }): Uint8Array | string {
  const carried = chunkBytesOf(event);
  if (carried !== undefined) return carried.view;
  const { payload } = event;
  return payload.encoding === "base64" ? Buffer.from(payload.data, "base64") : payload.data;
}

/** One renderer per output mode (SPEC §14.3). */
export function createExecRenderer(options: ExecRendererOptions): ExecRenderer {
  const { stdout, stderr } = options;
  const finish = () => stdout.flush();
  if (options.mode === "jsonl") {
    return { onEvent: (event) => stdout.writeEvent(event), start: () => undefined, finish };
  }
  if (options.mode === "json") {
    return {
      onEvent(event) {
        if (event.type !== "run:summary") return undefined;
        const text = options.jsonStyle === "compact" ? JSON.stringify(event) : JSON.stringify(event, null, 2);
        return stdout.write(`${text}\n`);
      },
      start: () => undefined,
      finish,
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
      if (event.type === "run:summary" && !options.quiet) {
        const { payload } = event;
        return stdout.write(`\n${payload.runId} ${payload.status.toUpperCase()}\nManifest: ${payload.run.manifest}\nLog: ${payload.logs.runner}\n`);
      }
      return undefined;
    },
    start: () => (options.quiet ? undefined : stdout.write(`$ ${options.shell}\n`)),
    finish,
  };
}
