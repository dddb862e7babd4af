import type { OrchestratorEvent } from "../core/schemas/events.ts";

/** The retained window of each stream (SPEC §14.4): what the retained tail of an attempt holds, 64 KiB. */
const TAIL_BYTES_PER_STREAM = 65_536;

type Flat = Record<string, unknown> & { type: string };

/** `{type, correlationId, timestamp, attempt, ...rest of the payload}`. */
function flatten(event: OrchestratorEvent): Flat {
  const payload = event.payload as Record<string, unknown>;
  const flat: Flat = { type: event.type, correlationId: payload.correlationId, timestamp: event.timestamp, attempt: payload.attempt };
  // The rest of the payload copied by hand: a rest pattern calls a builtin whose first call costs a compilation.
  for (const key of Object.keys(payload)) if (key !== "attempt" && key !== "correlationId") flat[key] = payload[key];
  return flat;
}

/**
 * The flattened events of one tool invocation for `run:summary.toolRun.events` (SPEC §16.3): every begin/retry/end
 * event, and chunk events only within the retained window of each stream (the last 64 KiB), so memory stays bounded.
 * Fed by the run's recorder (`RunRecorder.watchToolRun`), which subscribes to the stream.
 */
export class ToolRunEvents {
  /** Chunk events are flattened only when listed: flattening reads `data`, which decodes the chunk's bytes. */
  private readonly items: { event: OrchestratorEvent; flat?: Flat; stream?: "stdout" | "stderr"; bytes: number }[] = [];
  private readonly windowBytes = { stdout: 0, stderr: 0 };
  private truncated = false;

  add(event: OrchestratorEvent): void {
    if (event.type !== "exec:chunk") {
      this.items.push({ event, flat: flatten(event), bytes: 0 });
      return;
    }
    const stream = event.payload.stream;
    this.items.push({ event, stream, bytes: event.payload.bytes });
    this.windowBytes[stream] += event.payload.bytes;
    this.trim(stream);
  }

  /** Drops the oldest chunks of `stream` while the newest still fill the window without them. */
  private trim(stream: "stdout" | "stderr"): void {
    while (this.windowBytes[stream] > TAIL_BYTES_PER_STREAM) {
      const index = this.items.findIndex((item) => item.stream === stream);
      if (index === -1) return;
      const [oldest] = this.items.splice(index, 1);
      this.windowBytes[stream] -= oldest?.bytes ?? 0;
      this.truncated = true;
    }
  }

  list(): Flat[] {
    return this.items.map((item) => {
      item.flat ??= flatten(item.event);
      return item.flat;
    });
  }

  get eventsTruncated(): boolean {
    return this.truncated;
  }
}
