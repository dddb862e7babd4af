import type { EventSubscriber } from "../core/event-stream.ts";
import type { NotificationsRecord } from "../core/schemas/common.ts";
import type { OrchestratorEvent } from "../core/schemas/events.ts";
import { type NotificationTarget, targetsForStatus } from "./notification-targets.ts";
import type { DeliveryOptions } from "./notifications.ts";

/**
 * The notifier (SPEC §19): a `first` subscriber of the stream (`EventStream.subscribe(…, { first: true })`) that
 * sends each `run:summary` of run `runId` to the targets whose filter accepts its status, fills in the event's
 * `notifications` before the printers see it, and hands the record to `delivered` (the manifest's copy). The same for
 * `exec`, `start` and `resume`. The delivery module (node:http, node:https, node:child_process: several ms to load)
 * is loaded only when a target is due.
 */
export function runNotifier(
  runId: string,
  targets: readonly NotificationTarget[],
  options: DeliveryOptions,
  delivered: (record: NotificationsRecord) => Promise<unknown>,
): EventSubscriber {
  return (event: OrchestratorEvent) => {
    if (event.type !== "run:summary" || event.payload.runId !== runId) return undefined;
    if (targetsForStatus(targets, event.payload.status).length === 0) return undefined;
    return (async () => {
      const { notifyRunSummary } = await import("./notifications.ts");
      const record = await notifyRunSummary(targets, event, options);
      event.payload.notifications = record;
      await delivered(record);
    })();
  };
}
