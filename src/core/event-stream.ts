import { secretRedactor } from "./redact.ts";
import { isoTimestamp } from "./timestamp.ts";
import { EVENT_SCHEMA_VERSION } from "./schemas/event-version.ts";
import type { EventPayload, EventType, OrchestratorEvent } from "./schemas/events.ts";

/** The event of type `T`. */
export type EventOf<T extends EventType> = Extract<OrchestratorEvent, { type: T }>;

export type EventSubscriber = (event: OrchestratorEvent) => void | Promise<void>;

/**
 * The one typed event stream of an invocation (ARCHITECTURE "The one idea"). It stamps each event with the envelope
 * (`type, timestamp, v, seq, payload`) and hands it to every subscriber in order; `emit` resolves when all
 * subscribers have taken it, which is how a slow sink (a full stdout pipe) applies back-pressure to the producer.
 */
export class EventStream {
  private seq = 0;
  private readonly subscribers: EventSubscriber[] = [];
  private readonly firsts: EventSubscriber[] = [];
  constructor(private readonly clock: () => Date = () => new Date()) {}

  /**
   * Adds a subscriber; returns the function that removes it. A `first` subscriber completes an event before the others
   * see it (the notifier fills in `run:summary.notifications`, which the printers then print): it gets each event
   * before them, and is waited for before they get it.
   */
  subscribe(subscriber: EventSubscriber, options: { first?: boolean } = {}): () => void {
    const list = options.first === true ? this.firsts : this.subscribers;
    list.push(subscriber);
    return () => {
      const i = list.indexOf(subscriber);
      if (i !== -1) list.splice(i, 1);
    };
  }

  /**
   * Builds the envelope (without dispatching): used where an event must exist before it is printed (run:summary).
   *
   * This is where an event's fields are redacted (issue 10), once for every subscriber — printers, logs, spans,
   * notifications — so none of them redacts again. An `exec:chunk` is left alone: its bytes were redacted at their
   * source, before they were chunked (`exec/output-sink.ts`), and its other fields are ids and counts.
   */
  envelope<T extends EventType>(type: T, payload: EventPayload<T>, at: Date = this.clock()): EventOf<T> {
    this.seq += 1;
    const fields = type === "exec:chunk" ? payload : secretRedactor().value(payload);
    return { type, timestamp: isoTimestamp(at), v: EVENT_SCHEMA_VERSION, seq: this.seq, payload: fields } as EventOf<T>;
  }

  /**
   * Hands `event` to every subscriber in order, at once, and returns what they asked to be waited for: one promise
   * when one subscriber is busy (a full stdout, a full log buffer), all of them when several are, undefined when none.
   * Every subscriber gets the event before any is waited for, so the log and stdout drain side by side; the producer
   * waits for all before its next event, so each subscriber still sees the events in order. No promise per event:
   * the output of a busy command goes through here once per 8 KiB chunk.
   */
  dispatch(event: OrchestratorEvent): Promise<void> | undefined {
    if (this.firsts.length > 0) {
      const before = this.handOut(this.firsts, event);
      if (before !== undefined) return before.then(() => this.handOut(this.subscribers, event));
    }
    return this.handOut(this.subscribers, event);
  }

  private handOut(subscribers: readonly EventSubscriber[], event: OrchestratorEvent): Promise<void> | undefined {
    let first: Promise<void> | undefined;
    let more: Promise<void>[] | undefined;
    for (let i = 0; i < subscribers.length; i++) {
      const result = (subscribers[i] as EventSubscriber)(event);
      if (result === undefined) continue;
      if (first === undefined) {
        first = result;
        continue;
      }
      more ??= [first];
      more.push(result);
    }
    return more === undefined ? first : Promise.all(more).then(() => undefined);
  }

  async emit<T extends EventType>(type: T, payload: EventPayload<T>, at?: Date): Promise<EventOf<T>> {
    const event = this.envelope(type, payload, at);
    await this.dispatch(event);
    return event;
  }
}
