import type { OrchestratorEvent } from "../core/schemas/events.ts";
import { TAIL_BYTES_PER_STREAM } from "./limits.ts";

type Flat = Record<string, unknown> & { type: string };

/**
 * The flattened events of one tool invocation for `run:summary.toolRun.events` (SPEC §16.3): every begin/retry/end
 * event, and chunk events only within the retained window of each stream (the last 64 KiB), so memory stays bounded.
 */
export class ToolRunEvents {
  private readonly items: { flat: Flat; stream?: "stdout" | "stderr"; bytes: number }[] = [];
  private readonly windowBytes = { stdout: 0, stderr: 0 };
  private truncated = false;

  add(event: OrchestratorEvent): void {
    const { attempt, correlationId, ...rest } = event.payload as Record<string, unknown>;
    const flat: Flat = { type: event.type, correlationId, timestamp: event.timestamp, attempt, ...rest };
    if (event.type !== "exec:chunk") {
      this.items.push({ flat, bytes: 0 });
      return;
    }
    const stream = event.payload.stream;
    this.items.push({ flat, stream, bytes: event.payload.bytes });
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
    return this.items.map((item) => item.flat);
  }

  get eventsTruncated(): boolean {
    return this.truncated;
  }
}
