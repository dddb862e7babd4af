/**
 * `exec --output-schema <file>` (SPEC §14.7, issue 22): the schema is loaded and checked before anything runs, the
 * whole stdout of the last attempt is kept (up to OUTPUT_SCHEMA_MAX_BYTES) from its `exec:chunk` events, and after the
 * command it is parsed and validated. A mismatch fails a run whose command succeeded.
 */
import { readFileSync } from "node:fs";
import { chunkBytesOf } from "../core/chunk-event.ts";
import { UsageError, errorMessage } from "../core/errors.ts";
import type { OutputSchema, OutputValidation } from "../core/output-schema.ts";
import type { OrchestratorEvent } from "../core/schemas/events.ts";
import type { OutputValidationRecord } from "../core/schemas/manifest.ts";
import { parseJsonText } from "./json-text.ts";
import { OUTPUT_SCHEMA_MAX_BYTES } from "./limits.ts";

/** The manifest records at most this many of the errors (the run summary carries up to 100). */
const RECORDED_ERRORS = 20;

/** Loaded only with --output-schema: the JSON Schema validator is not needed otherwise. */
export async function readOutputSchema(path: string): Promise<OutputSchema> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`Invalid output schema ${path}: ${errorMessage(error)}`);
  }
  const { OutputSchema } = await import("../core/output-schema.ts");
  return new OutputSchema(text, path, parseJsonText);
}

/**
 * The stdout of the current attempt, whole, from its chunk events (the retained text is only the last 64 KiB). A new
 * attempt (`exec:begin`) starts over; past `limit` bytes only the count goes on.
 */
export class StdoutCapture {
  private parts: Uint8Array[] = [];
  private bytes = 0;
  private over = false;

  constructor(readonly limit: number = OUTPUT_SCHEMA_MAX_BYTES) {}

  /** Subscribe this to the invocation's event stream. */
  readonly onEvent = (event: OrchestratorEvent): void => {
    if (event.type === "exec:begin") {
      this.parts = [];
      this.bytes = 0;
      this.over = false;
      return;
    }
    if (event.type !== "exec:chunk" || (event.payload as { stream?: string }).stream !== "stdout") return;
    // The chunk's own copy of the bytes (already redacted): kept as is, never turned into a string per chunk.
    const raw = chunkBytesOf(event)?.raw;
    if (raw === undefined) return;
    this.bytes += raw.byteLength;
    if (this.over) return;
    if (this.bytes > this.limit) {
      this.over = true;
      this.parts = [];
      return;
    }
    this.parts.push(raw);
  };

  get totalBytes(): number {
    return this.bytes;
  }

  get tooLarge(): boolean {
    return this.over;
  }

  /** The captured stdout as text (invalid UTF-8 → U+FFFD, as in the retained text); the bytes are released. */
  take(): string {
    const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
    let text = "";
    for (const part of this.parts) text += decoder.decode(part, { stream: true });
    text += decoder.decode();
    this.parts = [];
    return text;
  }
}

export type OutputCheck = {
  /** `outputs.structured` / `outputs.validationErrors` of the summary; null when not checked. */
  validation: OutputValidation | null;
  record: OutputValidationRecord;
  /** One line naming the first mismatch (or the size limit); null when valid or not checked. */
  failure: string | null;
};

function mib(bytes: number): string {
  return `${bytes / (1024 * 1024)} MiB`;
}

/** Validates the captured stdout; `checked` is false when the command never ran or the run was cancelled. */
export function checkOutput(schema: OutputSchema, absPath: string, recordedPath: string, capture: StdoutCapture, checked: boolean): OutputCheck {
  const record = (status: OutputValidationRecord["status"], errors: OutputValidationRecord["errors"], count: number): OutputValidationRecord => ({
    schema: recordedPath,
    status,
    stdout_bytes: capture.totalBytes,
    max_bytes: capture.limit,
    errors,
    error_count: count,
  });
  if (!checked) {
    return { validation: null, record: record("not-checked", [], 0), failure: null };
  }
  if (capture.tooLarge) {
    const message = `stdout is ${capture.totalBytes} bytes, over the ${mib(capture.limit)} (${capture.limit} bytes) limit of --output-schema; it was not validated`;
    const error = { path: "", message };
    return {
      validation: { structured: null, validationErrors: [error], errorCount: 1 },
      record: record("too-large", [error], 1),
      failure: `Output of the command exceeded the --output-schema limit of ${mib(capture.limit)}: ${capture.totalBytes} bytes (${absPath}); it was not validated.`,
    };
  }
  const validation = schema.check(capture.take(), parseJsonText);
  const first = validation.validationErrors[0];
  if (first === undefined) {
    return { validation, record: record("valid", [], 0), failure: null };
  }
  const more = validation.errorCount > 1 ? ` (${validation.errorCount - 1} more error${validation.errorCount > 2 ? "s" : ""})` : "";
  const line = `Output does not match the schema ${absPath}: ${first.path === "" ? "(root)" : first.path}: ${first.message}${more}`;
  return {
    validation,
    record: record("invalid", validation.validationErrors.slice(0, RECORDED_ERRORS), validation.errorCount),
    failure: line.replace(/[\r\n]+/g, " "),
  };
}
