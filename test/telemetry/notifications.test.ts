import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { type IncomingHttpHeaders, type Server, createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { deliverNotifications, notifyRunSummary } from "../../src/telemetry/notifications.ts";
import { scratchDir } from "../helpers/cli.ts";
import { refusedUrl } from "../helpers/otlp-receiver.ts";

type Hook = { url: string; hits: { method: string; headers: IncomingHttpHeaders; body: string }[] };
const servers: { server: Server; sockets: Set<Socket> }[] = [];

/**
 * A webhook on 127.0.0.1 answering each request with the next status of `statuses` (the last repeats), once `answer`
 * settles (by default at once; a promise that never settles makes an endpoint that never answers).
 */
async function startHook(
  statuses: number[],
  answer: () => Promise<void> = async () => undefined,
  onConnectionClosed: () => void = () => undefined,
): Promise<Hook> {
  const hook: Hook = { url: "", hits: [] };
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      hook.hits.push({ method: req.method ?? "", headers: req.headers, body });
      const status = statuses[Math.min(hook.hits.length - 1, statuses.length - 1)] as number;
      void answer().then(() => {
        if (res.destroyed) return;
        res.writeHead(status);
        res.end("ok");
      });
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => {
      sockets.delete(s);
      onConnectionClosed();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  servers.push({ server, sockets });
  hook.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return hook;
}

afterEach(async () => {
  for (const { server, sockets } of servers.splice(0)) {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

const BODY = JSON.stringify({ type: "run:summary", timestamp: "2025-01-01T00:00:00.000Z", v: 1, seq: 9, payload: { status: "failed", runId: "r" } });

function writeScript(path: string, text: string): void {
  writeFileSync(path, `#!/bin/sh\n${text}\n`);
  chmodSync(path, 0o755);
}

describe("HTTP webhooks (SPEC §19)", () => {
  test("a working endpoint gets one POST with the JSON body and content-type application/json", async () => {
    const hook = await startHook([200]);
    const warnings: string[] = [];
    const result = await deliverNotifications([hook.url], BODY, { repo: scratchDir(), warn: (l) => warnings.push(l) });
    expect(result).toEqual({ targets: [hook.url], delivered: [hook.url], failures: [] });
    expect(warnings).toEqual([]);
    expect(hook.hits.length).toBe(1);
    expect(hook.hits[0]!.method).toBe("POST");
    expect(hook.hits[0]!.headers["content-type"]).toBe("application/json");
    expect(hook.hits[0]!.body).toBe(BODY);
  });

  test("a 500 is retried once after a second, then reported", async () => {
    const hook = await startHook([500]);
    const warnings: string[] = [];
    // The pause is recorded with the number of requests made before it, not waited out.
    const pauses: { ms: number; hitsBefore: number }[] = [];
    const sleep = async (ms: number) => {
      pauses.push({ ms, hitsBefore: hook.hits.length });
    };
    const result = await deliverNotifications([hook.url], BODY, { repo: scratchDir(), warn: (l) => warnings.push(l), sleep });
    const error = "Notification endpoint responded with status 500";
    expect(result).toEqual({ targets: [hook.url], delivered: [], failures: [{ target: hook.url, error }] });
    expect(warnings).toEqual([`Notification delivery failed for ${hook.url}: ${error}`]);
    expect(hook.hits.length).toBe(2);
    expect(pauses).toEqual([{ ms: 1000, hitsBefore: 1 }]);
  });

  test("a 503 then 200 counts as delivered; a 404 is not retried", async () => {
    const flaky = await startHook([503, 200]);
    const missing = await startHook([404]);
    const warnings: string[] = [];
    const result = await deliverNotifications([flaky.url, missing.url], BODY, {
      repo: scratchDir(),
      warn: (l) => warnings.push(l),
      retryDelayMs: 20,
    });
    expect(result.delivered).toEqual([flaky.url]);
    expect(result.failures).toEqual([{ target: missing.url, error: "Notification endpoint responded with status 404" }]);
    expect(flaky.hits.length).toBe(2);
    expect(missing.hits.length).toBe(1);
    expect(warnings.length).toBe(1);
  });

  test("a slow endpoint times out on both attempts", async () => {
    const slow = await startHook([200], () => new Promise<void>(() => undefined));
    const warnings: string[] = [];
    const result = await deliverNotifications([slow.url], BODY, {
      repo: scratchDir(),
      warn: (l) => warnings.push(l),
      timeoutMs: 300,
      retryDelayMs: 20,
    });
    const error = "Notification request timed out after 300 ms";
    expect(result.failures).toEqual([{ target: slow.url, error }]);
    expect(warnings).toEqual([`Notification delivery failed for ${slow.url}: ${error}`]);
    expect(slow.hits.length).toBe(2);
  });

  test("an endpoint that is down fails with the network error after one retry", async () => {
    const down = `${await refusedUrl()}/hook`;
    const result = await deliverNotifications([down], BODY, { repo: scratchDir(), warn: () => undefined, retryDelayMs: 20 });
    expect(result.delivered).toEqual([]);
    expect(result.failures.length).toBe(1);
    expect(result.failures[0]!.error).toMatch(/ECONNREFUSED/);
  });

  test("targets run concurrently and delivered is in completion order", async () => {
    // The first target answers only once the second is done (its client closed the connection after reading the
    // answer): one target at a time could never get there (the first would time out, twice, and fail).
    let fastDone: () => void = () => undefined;
    const fastClosed = new Promise<void>((resolve) => {
      fastDone = resolve;
    });
    const slow = await startHook([200], () => fastClosed);
    const fast = await startHook([200], undefined, () => fastDone());
    const result = await deliverNotifications([slow.url, fast.url], BODY, {
      repo: scratchDir(),
      warn: () => undefined,
      timeoutMs: 10_000,
      retryDelayMs: 20,
    });
    expect(result.targets).toEqual([slow.url, fast.url]);
    expect(result.delivered).toEqual([fast.url, slow.url]);
    expect(slow.hits.length).toBe(1);
  });
});

describe("cmd: hooks (SPEC §19)", () => {
  test("a program path with '/' runs from <repo>, without arguments, with the JSON on stdin", async () => {
    const repo = scratchDir();
    mkdirSync(join(repo, "hooks"));
    writeScript(join(repo, "hooks/save.sh"), 'cat > received.json\nprintf "%s %s" "$#" "$PWD" > info.txt');
    const result = await deliverNotifications(["cmd:./hooks/save.sh"], BODY, { repo, warn: () => undefined });
    expect(result).toEqual({ targets: ["cmd:./hooks/save.sh"], delivered: ["cmd:./hooks/save.sh"], failures: [] });
    expect(readFileSync(join(repo, "received.json"), "utf8")).toBe(BODY);
    expect(readFileSync(join(repo, "info.txt"), "utf8")).toBe(`0 ${repo}`);
  });

  test("a bare program name is looked up on PATH", async () => {
    const repo = scratchDir();
    const bin = scratchDir("co-bin-");
    writeScript(join(bin, "notify-hook"), 'cat > "$PWD/from-path.json"');
    const env = { PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}` };
    const result = await deliverNotifications(["cmd:notify-hook"], BODY, { repo, warn: () => undefined, env });
    expect(result.delivered).toEqual(["cmd:notify-hook"]);
    expect(readFileSync(join(repo, "from-path.json"), "utf8")).toBe(BODY);
  });

  test("a failing hook is reported with its exit code and not retried", async () => {
    const repo = scratchDir();
    writeScript(join(repo, "fail.sh"), 'echo run >> runs.txt\nexit 3');
    const warnings: string[] = [];
    const result = await deliverNotifications(["cmd:./fail.sh"], BODY, { repo, warn: (l) => warnings.push(l) });
    const error = "Notification command exited with code 3";
    expect(result.failures).toEqual([{ target: "cmd:./fail.sh", error }]);
    expect(warnings).toEqual([`Notification delivery failed for cmd:./fail.sh: ${error}`]);
    expect(readFileSync(join(repo, "runs.txt"), "utf8")).toBe("run\n");
  });

  test("a missing program, a hook that ignores stdin and a hook that hangs", async () => {
    const repo = scratchDir();
    writeScript(join(repo, "quick.sh"), "exit 0");
    writeScript(join(repo, "hang.sh"), "exec sleep 30");
    const warnings: string[] = [];
    const big = JSON.stringify({ pad: "x".repeat(1 << 20) });
    const result = await deliverNotifications(["cmd:./missing.sh", "cmd:./quick.sh", "cmd:./hang.sh"], big, {
      repo,
      warn: (l) => warnings.push(l),
      timeoutMs: 500,
    });
    expect(result.delivered).toEqual(["cmd:./quick.sh"]);
    const byTarget = Object.fromEntries(result.failures.map((f) => [f.target, f.error]));
    expect(byTarget["cmd:./missing.sh"]).toMatch(/ENOENT/);
    expect(byTarget["cmd:./hang.sh"]).toBe("Notification command timed out after 500 ms");
    expect(warnings.length).toBe(2);
  });
});

describe("notifyRunSummary", () => {
  test("sends the compact run:summary with notifications.targets filled, only to targets whose filter matches", async () => {
    const all = await startHook([200]);
    const onFailure = await startHook([200]);
    const onSuccess = await startHook([200]);
    const targets = [
      { target: all.url, events: null },
      { target: onFailure.url, events: ["failed" as const] },
      { target: onSuccess.url, events: ["succeeded" as const] },
    ];
    const event = {
      type: "run:summary",
      timestamp: "2025-01-01T00:00:00.000Z",
      v: 1,
      seq: 4,
      payload: { status: "failed", notifications: { targets: [], delivered: [], failures: [] }, metrics: null, runId: "r" },
    };
    const record = await notifyRunSummary(targets, event, { repo: scratchDir(), warn: () => undefined });
    expect(record.targets).toEqual([all.url, onFailure.url]);
    expect([...record.delivered].sort()).toEqual([all.url, onFailure.url].sort());
    expect(onSuccess.hits.length).toBe(0);
    const sent = all.hits[0]!.body;
    expect(sent).toBe(
      JSON.stringify({
        ...event,
        payload: { ...event.payload, notifications: { targets: [all.url, onFailure.url], delivered: [], failures: [] } },
      }),
    );
    expect(Object.keys(JSON.parse(sent).payload)).toEqual(["status", "notifications", "metrics", "runId"]);
    expect(onFailure.hits[0]!.body).toBe(sent);

    const none = await notifyRunSummary([{ target: onSuccess.url, events: ["succeeded"] }], event, {
      repo: scratchDir(),
      warn: () => undefined,
    });
    expect(none).toEqual({ targets: [], delivered: [], failures: [] });
    expect(onSuccess.hits.length).toBe(0);
  });
});
