import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { pidIsAlive } from "../platform/pid.ts";
import { readRunOwner } from "./run-owner.ts";
import type { Activity } from "../core/schemas/reports.ts";

/** `activity` of `status` (SPEC §11.2). */
export type { Activity };

/** The manifest fields activity depends on. */
export type ActivityInput = {
  status: string;
  heartbeat_at: string | null;
  heartbeat_stale_after_seconds: number;
};

const ACTIVE = new Set(["queued", "in_progress"]);

function parseTime(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const ms = Date.parse(value.trim());
  return Number.isNaN(ms) ? null : ms;
}

/** The last heartbeat: the newer of `.heartbeat` (its text) and `heartbeat_at`; null if neither parses. */
export function lastHeartbeatMs(heartbeatFileText: string | null, heartbeatAt: string | null): number | null {
  const fromFile = parseTime(heartbeatFileText);
  const fromManifest = parseTime(heartbeatAt);
  if (fromFile === null) return fromManifest;
  if (fromManifest === null) return fromFile;
  return Math.max(fromFile, fromManifest);
}

/** Pure: activity from the manifest, the `.heartbeat` text and the current time. */
export function computeActivity(manifest: ActivityInput, heartbeatFileText: string | null, nowMs: number): Activity {
  const last = lastHeartbeatMs(heartbeatFileText, manifest.heartbeat_at);
  if (last === null) return { stale: false, age_seconds: null };
  const age = Math.max(0, nowMs - last) / 1000;
  return { stale: ACTIVE.has(manifest.status) && age > manifest.heartbeat_stale_after_seconds, age_seconds: age };
}

/**
 * Reads `.heartbeat` (a missing or unreadable file counts as absent) and computes the activity. A run whose recorded
 * owner (`.owner`, next to `.heartbeat`) is no longer alive is stale at once, not 30 s later (issue 22.6/22.7):
 * `status --watch`, `cancel` and `resume` can act on a killed run straight away.
 */
export async function readActivity(
  manifest: ActivityInput,
  heartbeatPath: string,
  now: () => number = Date.now,
): Promise<Activity> {
  const text = await readFile(heartbeatPath, "utf8").catch(() => null);
  const activity = computeActivity(manifest, text, now());
  if (activity.stale || !ACTIVE.has(manifest.status)) return activity;
  const owner = readRunOwner(dirname(heartbeatPath));
  return owner !== null && !pidIsAlive(owner) ? { ...activity, stale: true } : activity;
}
