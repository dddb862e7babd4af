import { UsageError } from "../core/errors.ts";

/** Run outcomes a target can subscribe to (config `events`); without a filter a target gets every run. */
export const NOTIFICATION_EVENTS = ["succeeded", "failed", "cancelled"] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export type NotificationTarget = {
  /** `http://…`, `https://…` or `cmd:<program>`, trimmed. */
  target: string;
  /** null = every run. */
  events: NotificationEvent[] | null;
};

export type NotificationSource = "--notify" | "CODEX_ORCHESTRATOR_NOTIFY" | "config";

/** A config list entry: a target string or `{target, events?}` (the shape `codex.orchestrator.json` accepts). */
export type ConfigNotificationEntry = string | { target: string; events?: readonly string[] | undefined };

export type NotificationInputs = {
  /** Every `--notify` value, in order. */
  cli?: readonly string[] | undefined;
  /** `CODEX_ORCHESTRATOR_NOTIFY` (comma-separated). */
  env?: string | undefined;
  /** `notifications` of `codex.orchestrator.json`. */
  config?: readonly ConfigNotificationEntry[] | undefined;
  /** Absolute path of the config file: config errors use the §6.1 form. */
  configPath?: string | undefined;
};

export type ResolvedNotifications = { source: NotificationSource | null; targets: NotificationTarget[] };

const TARGET = /^(https?:\/\/\S+|cmd:\S.*)$/;

/** True for `http://…`, `https://…` (a parseable URL) and `cmd:<program>`. */
export function isValidTarget(target: string): boolean {
  if (!TARGET.test(target)) return false;
  if (target.startsWith("cmd:")) return true;
  try {
    new URL(target);
    return true;
  } catch {
    return false;
  }
}

/**
 * Target precedence (SPEC §19): the first source with at least one non-empty entry wins, no merging — `--notify`, then
 * `CODEX_ORCHESTRATOR_NOTIFY`, then config `notifications`. Entries are trimmed, empty ones dropped, duplicates removed
 * (the first kept, with its filter). Only the config can carry per-target `events` filters.
 */
export function resolveNotificationTargets(inputs: NotificationInputs): ResolvedNotifications {
  const cli = (inputs.cli ?? []).map((t) => t.trim()).filter((t) => t !== "");
  if (cli.length > 0) return { source: "--notify", targets: fromStrings(cli, "--notify") };

  const env = (inputs.env ?? "")
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
  if (env.length > 0) return { source: "CODEX_ORCHESTRATOR_NOTIFY", targets: fromStrings(env, "CODEX_ORCHESTRATOR_NOTIFY") };

  const config = fromConfig(inputs.config ?? [], inputs.configPath);
  if (config.length > 0) return { source: "config", targets: config };
  return { source: null, targets: [] };
}

function fromStrings(list: string[], source: NotificationSource): NotificationTarget[] {
  const out: NotificationTarget[] = [];
  for (const target of list) {
    if (!isValidTarget(target)) throw new UsageError(`Invalid notification target "${target}" from ${source}.`);
    if (!out.some((t) => t.target === target)) out.push({ target, events: null });
  }
  return out;
}

function fromConfig(entries: readonly ConfigNotificationEntry[], configPath: string | undefined): NotificationTarget[] {
  // Config problems use the §6.1 form (`Invalid config <path>: <pointer>: <problem>`), like every config error.
  const fail = (pointer: string, problem: string) =>
    new UsageError(`Invalid config ${configPath ?? "codex.orchestrator.json"}: ${pointer}: ${problem}`);
  const out: NotificationTarget[] = [];
  entries.forEach((entry, i) => {
    const raw = typeof entry === "string" ? entry : entry.target;
    const target = raw.trim();
    if (target === "") return;
    const pointer = typeof entry === "string" ? `/notifications/${i}` : `/notifications/${i}/target`;
    if (!isValidTarget(target)) {
      throw fail(pointer, `invalid notification target "${target}" (expected http://…, https://… or cmd:<program>)`);
    }
    let events: NotificationEvent[] | null = null;
    if (typeof entry !== "string" && entry.events !== undefined) {
      events = [];
      entry.events.forEach((name, j) => {
        if (!(NOTIFICATION_EVENTS as readonly string[]).includes(name)) {
          throw fail(
            `/notifications/${i}/events/${j}`,
            `unknown notification event "${name}" (expected "succeeded", "failed" or "cancelled")`,
          );
        }
        if (!events?.includes(name as NotificationEvent)) events?.push(name as NotificationEvent);
      });
    }
    if (!out.some((t) => t.target === target)) out.push({ target, events });
  });
  return out;
}

/** The targets that want a run ending with `status` (the list that goes to `notifications.targets`). */
export function targetsForStatus(targets: readonly NotificationTarget[], status: string): string[] {
  return targets.filter((t) => t.events === null || (t.events as string[]).includes(status)).map((t) => t.target);
}
