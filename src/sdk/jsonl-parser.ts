/**
 * The one JSONL reader of the SDK (both the compatibility `ExecClient` and the `Orchestrator` use it): bytes in,
 * envelopes out. Partial lines wait for the next chunk, CRLF is tolerated, blank lines are skipped, a line that is not
 * an event is a warning (never fatal), and an envelope of a newer major version stops the reader with a typed error.
 */
import * as v from "valibot";
import { EVENT_SCHEMA_VERSION, EventEnvelope } from "../core/schemas/events.ts";
import { EventVersionError } from "./errors.ts";

/** One envelope as printed by the CLI; `type` may be one this SDK does not know (consumers ignore those). */
export type RawEvent = v.InferOutput<typeof EventEnvelope>;

/** What one line turned into. */
export type JsonlItem =
  | { kind: "event"; event: RawEvent; line: string }
  | { kind: "warning"; error: Error; line: string }
  | { kind: "fatal"; error: EventVersionError; line: string };

/** A partial line longer than this is dropped with a warning, so garbage without newlines cannot exhaust memory. */
const MAX_LINE_CHARS = 64 * 1024 * 1024;

/** Incremental JSONL reader: feed chunks with `push`, then call `end` once the stream closed. */
export class JsonlLineParser {
  #decoder = new TextDecoder("utf-8");
  #partial = "";
  #stopped = false;

  /** Parses every complete line of a chunk (bytes or text); keeps the unfinished tail for the next call. */
  push(chunk: Uint8Array | string): JsonlItem[] {
    if (this.#stopped) return [];
    const text = typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true });
    const pieces = (this.#partial + text).split("\n");
    this.#partial = pieces.pop() ?? "";
    const items: JsonlItem[] = [];
    for (const piece of pieces) if (this.#take(piece, items)) break;
    if (this.#partial.length > MAX_LINE_CHARS) {
      items.push({ kind: "warning", error: new Error(`Dropped a JSONL line longer than ${MAX_LINE_CHARS} characters.`), line: "" });
      this.#partial = "";
    }
    return items;
  }

  /** Flushes the last line (a stream may end without a newline). */
  end(): JsonlItem[] {
    if (this.#stopped) return [];
    const rest = this.#partial + this.#decoder.decode();
    this.#partial = "";
    const items: JsonlItem[] = [];
    this.#take(rest, items);
    this.#stopped = true;
    return items;
  }

  /** Parses one raw line into `items`; returns true when the reader must stop (newer envelope version). */
  #take(raw: string, items: JsonlItem[]): boolean {
    const line = raw.trim();
    if (line === "") return false;
    const item = parseLine(line);
    items.push(item);
    if (item.kind === "fatal") this.#stopped = true;
    return this.#stopped;
  }
}

/** Parses one trimmed, non-empty line. */
export function parseLine(line: string): JsonlItem {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: "warning", error: new Error(`Failed to parse JSONL line: ${line}`), line };
  }
  // The version is checked before the shape: a newer envelope may legitimately not match this SDK's schema.
  const version = typeof value === "object" && value !== null ? (value as { v?: unknown }).v : undefined;
  if (typeof version === "number" && Math.floor(version) > EVENT_SCHEMA_VERSION) {
    return { kind: "fatal", error: new EventVersionError(version, EVENT_SCHEMA_VERSION, line), line };
  }
  const parsed = v.safeParse(EventEnvelope, value);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const where = issue.path?.map((p) => String(p.key)).join(".") || "(root)";
    return { kind: "warning", error: new Error(`Not an event envelope (${where}: ${issue.message}): ${line}`), line };
  }
  return { kind: "event", event: parsed.output, line };
}
