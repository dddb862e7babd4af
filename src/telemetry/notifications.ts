import { spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { resolve } from "node:path";
import type { NotificationsRecord } from "../core/schemas/common.ts";
import { type NotificationTarget, targetsForStatus } from "./notification-targets.ts";

export type DeliveryOptions = {
  /** `<repo>`: cwd of `cmd:` hooks and the base of a `cmd:` path containing `/`. */
  repo: string;
  /** One stderr line per failed target, without prefix (SPEC §4.3). */
  warn: (line: string) => void;
  /** Environment of `cmd:` hooks (and their PATH lookup); defaults to the CLI's. */
  env?: Record<string, string | undefined>;
  /** Per attempt / per command; 5 s by default (SPEC §19). */
  timeoutMs?: number;
  /** Pause before the one HTTP retry; 1 s by default (SPEC §24.7). */
  retryDelayMs?: number;
  /** How that pause is waited (tests of the policy replace it to record the delay instead of waiting it out). */
  sleep?: (ms: number) => Promise<void>;
};

export const NOTIFICATION_TIMEOUT_MS = 5000;
export const NOTIFICATION_RETRY_DELAY_MS = 1000;

/**
 * Delivers the compact `run:summary` JSON (`body`) to every target concurrently (SPEC §19): `http(s)://` by POST with
 * one retry after a 5xx, a network error or a timeout; `cmd:<program>` by running the program with the JSON on stdin.
 * Never throws and never changes the run's result: failures are returned (and warned) for the summary and manifest.
 * `delivered` lists targets in completion order; `failures` too.
 */
export async function deliverNotifications(
  targets: readonly string[],
  body: string,
  options: DeliveryOptions,
): Promise<NotificationsRecord> {
  const record: NotificationsRecord = { targets: [...targets], delivered: [], failures: [] };
  // The body is a `run:summary` event, redacted by the stream that stamped it (issue 10): nothing to redact here.
  const timeoutMs = options.timeoutMs ?? NOTIFICATION_TIMEOUT_MS;
  await Promise.all(
    targets.map(async (target) => {
      let error: string | null;
      try {
        error = target.startsWith("cmd:")
          ? await runHook(target.slice("cmd:".length), body, options, timeoutMs)
          : await postWithRetry(target, body, timeoutMs, options.retryDelayMs ?? NOTIFICATION_RETRY_DELAY_MS, options.sleep ?? sleep);
      } catch (thrown) {
        error = thrown instanceof Error ? thrown.message : String(thrown);
      }
      if (error === null) {
        record.delivered.push(target);
        return;
      }
      record.failures.push({ target, error });
      try {
        options.warn(`Notification delivery failed for ${target}: ${error}`);
      } catch {
        // A closed stderr must not turn a notification failure into a run failure.
      }
    }),
  );
  return record;
}

/** The envelope of a `run:summary` event, as far as notifications need it. */
export type RunSummaryEnvelope = { type: string; payload: { status: string; notifications?: unknown } };

/**
 * The whole §19 step for one finished run: keep the targets whose `events` filter accepts the run's status, send the
 * compact `run:summary` with `notifications.targets` filled and `delivered`/`failures` empty, and return the record
 * for the printed summary and the manifest. No target → nothing is sent.
 */
export async function notifyRunSummary(
  targets: readonly NotificationTarget[],
  event: RunSummaryEnvelope,
  options: DeliveryOptions,
): Promise<NotificationsRecord> {
  const selected = targetsForStatus(targets, event.payload.status);
  if (selected.length === 0) return { targets: [], delivered: [], failures: [] };
  const notifications: NotificationsRecord = { targets: selected, delivered: [], failures: [] };
  // Spreading keeps `notifications` where the payload already had it, so the body's key order matches stdout's.
  const body = JSON.stringify({ ...event, payload: { ...event.payload, notifications } });
  return deliverNotifications(selected, body, options);
}

type PostOutcome = { error: null } | { error: string; retryable: boolean };

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function postWithRetry(
  url: string,
  body: string,
  timeoutMs: number,
  retryDelayMs: number,
  wait: (ms: number) => Promise<void>,
): Promise<string | null> {
  const first = await postOnce(url, body, timeoutMs);
  if (first.error === null) return null;
  if (!first.retryable) return first.error;
  await wait(retryDelayMs);
  return (await postOnce(url, body, timeoutMs)).error;
}

/** One POST; the outcome is decided by the status line, the response body is drained and ignored. */
function postOnce(url: string, body: string, timeoutMs: number): Promise<PostOutcome> {
  return new Promise((settle) => {
    let settled = false;
    const finish = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      settle(outcome);
    };
    const target = new URL(url);
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const payload = Buffer.from(body, "utf8");
    const req = send(
      target,
      {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": String(payload.length) },
        // A fresh connection per attempt: nothing idles after the run.
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) finish({ error: null });
        else finish({ error: `Notification endpoint responded with status ${status}`, retryable: status >= 500 });
        res.resume();
      },
    );
    // The timer also bounds a response body that never ends (then only the socket is torn down).
    const timer = setTimeout(() => {
      finish({ error: `Notification request timed out after ${timeoutMs} ms`, retryable: true });
      req.destroy();
    }, timeoutMs);
    req.on("close", () => clearTimeout(timer));
    req.on("error", (error) => finish({ error: error.message, retryable: true }));
    req.end(payload);
  });
}

/** `cmd:<program>`: no arguments, no shell, cwd `<repo>`, JSON on stdin, stdout discarded, stderr passed through. */
function runHook(program: string, body: string, options: DeliveryOptions, timeoutMs: number): Promise<string | null> {
  return new Promise((settle) => {
    let settled = false;
    const finish = (error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      settle(error);
    };
    const file = program.includes("/") ? resolve(options.repo, program) : program;
    const timer = setTimeout(() => {
      finish(`Notification command timed out after ${timeoutMs} ms`);
      child?.kill("SIGKILL");
    }, timeoutMs);
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file, [], {
        cwd: options.repo,
        env: options.env ?? process.env,
        stdio: ["pipe", "ignore", "inherit"],
        shell: false,
      });
    } catch (error) {
      finish(error instanceof Error ? error.message : String(error));
      return;
    }
    child.on("error", (error) => finish(error.message));
    child.on("exit", (code, signal) => {
      if (code === 0) finish(null);
      else if (code !== null) finish(`Notification command exited with code ${code}`);
      else finish(`Notification command was killed by ${signal ?? "a signal"}`);
    });
    // A hook that exits without reading stdin makes the write fail with EPIPE: that is its right, not an error.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(body);
  });
}
