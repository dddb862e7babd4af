import type { OrchestratorEvent } from "./schemas/events.ts";

/**
 * What an `exec:chunk` payload carries beside its fields, under a symbol key (so JSON and valibot never see it): the
 * chunk's own bytes and its `data` already escaped for JSON. Printers and logs take these bytes, so bulk output is
 * never turned into JS strings (the payload's `data` is then decoded only if something reads it).
 */
export type ChunkBytes = {
  /** The output bytes, for a subscriber to write or copy while it handles the event (they are reused later). */
  readonly view: Uint8Array;
  /** The output bytes as a copy of the subscriber's own, free to keep (made when asked for). */
  readonly raw: Uint8Array;
  /**
   * `data` as the inside of a JSON string literal (UTF-8): what `JSON.stringify(data)` puts between the quotes. Like
   * `view`, to be written or copied at once (it may be the next chunk's after that).
   */
  readonly json: Uint8Array;
};

export const CHUNK_BYTES: unique symbol = Symbol("codex-orchestrator.chunk-bytes");

/** The bytes attached to an `exec:chunk` event's payload, if any. */
export function chunkBytesOf(event: OrchestratorEvent): ChunkBytes | undefined {
  if (event.type !== "exec:chunk") return undefined;
  return (event.payload as { [CHUNK_BYTES]?: ChunkBytes })[CHUNK_BYTES];
}

const DATA_FIELD = '"data":""';

/**
 * One JSON line of an `exec:chunk` event in three parts: the JSON text up to and including the opening quote of
 * `data`, the escaped data bytes, and the rest (closing quote to the newline). Joined, they are exactly
 * `JSON.stringify(event) + "\n"`. Null for any other event or a chunk event without bytes.
 */
export function chunkEventParts(event: OrchestratorEvent): [head: string, data: Uint8Array, tail: string] | null {
  const bytes = chunkBytesOf(event);
  if (bytes === undefined) return null;
  const source = event.payload as unknown as Record<string, unknown>;
  const payload: Record<string, unknown> = {};
  // Copied key by key, `data` as "": reading the payload's `data` would decode the bytes into a string.
  for (const key of Object.keys(source)) payload[key] = key === "data" ? "" : source[key];
  const text = JSON.stringify({ ...event, payload });
  const at = text.indexOf(DATA_FIELD);
  if (at === -1) return null;
  const open = at + DATA_FIELD.length - 1;
  return [text.slice(0, open), bytes.json, `${text.slice(open)}\n`];
}
