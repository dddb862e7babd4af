// Notifications through the compiled `exec` (SPEC §19, §23 check 37, issue 6): real webhooks on 127.0.0.1, real
// `cmd:` hooks, precedence CLI > environment > config, config event filters, failures that never change the exit code.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { type IncomingHttpHeaders, type ServerResponse, createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { runCli } from "../helpers/cli.ts";
import { refusedUrl } from "../helpers/otlp-receiver.ts";
import { manifestOf } from "../helpers/runs.ts";
import { workspace as scratchWorkspace } from "../helpers/workspace.ts";

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON under test is walked freely
type Json = Record<string, any>;

type Hit = { method: string; path: string; headers: IncomingHttpHeaders; body: string };
type Webhook = { base: string; hits: Hit[]; count(path: string): number; close(): Promise<void> };

const hooks: Webhook[] = [];
afterAll(async () => {
  for (const h of hooks) await h.close();
});

/** A webhook receiver: `/fail*` answers 500, `/slow*` never answers, anything else 204. */
async function webhook(): Promise<Webhook> {
  const hits: Hit[] = [];
  const sockets = new Set<Socket>();
  const pending = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "";
      hits.push({ method: req.method ?? "", path, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      if (path.startsWith("/slow")) {
        pending.add(res);
        return;
      }
      res.writeHead(path.startsWith("/fail") ? 500 : 204);
      res.end();
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const hook: Webhook = {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    count: (path) => hits.filter((h) => h.path === path).length,
    close: async () => {
      for (const s of sockets) s.destroy();
      pending.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  hooks.push(hook);
  return hook;
}

const workspace = (config?: Json) => scratchWorkspace(config, "co-e2e-notify-");

function script(w: string, name: string, body: string): string {
  const path = join(w, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return `cmd:./${name}`;
}

/** `exec --json compact` → the printed run:summary. */
async function execJson(w: string, args: string[], env: Record<string, string | undefined> = {}) {
  const run = await runCli(["exec", "--json", "compact", ...args], { cwd: w, env });
  const summary = run.stdout === "" ? null : (JSON.parse(run.stdout) as Json);
  return { run, summary: summary as Json };
}

describe("webhooks (check 37)", () => {
  test("CLI targets win over the environment; one retry after a 500; bodies are the compact run:summary", async () => {
    const h = await webhook();
    const [fail, ok, env] = [`${h.base}/fail`, `${h.base}/ok`, `${h.base}/env`];
    const w = workspace({ notifications: [`${h.base}/config`] });
    const { run, summary } = await execJson(w, ["--notify", `${fail},${ok}`, `--notify=${ok}`, "--", "echo", "hi"], {
      CODEX_ORCHESTRATOR_NOTIFY: env,
    });
    expect(run.code).toBe(0);
    expect(h.count("/fail")).toBe(2);
    expect(h.count("/ok")).toBe(1);
    expect(h.count("/env")).toBe(0);
    expect(h.count("/config")).toBe(0);
    const expected = {
      targets: [fail, ok],
      delivered: [ok],
      failures: [{ target: fail, error: "Notification endpoint responded with status 500" }],
    };
    expect(summary.payload.notifications).toEqual(expected);
    expect(manifestOf(w, summary).notifications).toEqual(expected);
    expect(run.stderr).toBe(`Notification delivery failed for ${fail}: Notification endpoint responded with status 500\n`);

    for (const hit of h.hits) {
      expect(hit.method).toBe("POST");
      expect(hit.headers["content-type"]).toBe("application/json");
      const body = JSON.parse(hit.body) as Json;
      expect(hit.body).toBe(JSON.stringify(body)); // compact
      expect(body.type).toBe("run:summary");
      expect(body.seq).toBe(summary.seq);
      expect(body.payload.run.id).toBe(summary.payload.run.id);
      expect(body.payload.status).toBe("succeeded");
      expect(body.payload.outputs.stdout).toBe("hi\n");
      expect(body.payload.notifications).toEqual({ targets: [fail, ok], delivered: [], failures: [] });
    }
  });

  test("without --notify the environment is used; with neither, the config list", async () => {
    const h = await webhook();
    const w = workspace({ notifications: [`${h.base}/config`, `${h.base}/config`] });
    const fromEnv = await execJson(w, ["--", "true"], { CODEX_ORCHESTRATOR_NOTIFY: ` ${h.base}/env1 , ,${h.base}/env2` });
    expect(fromEnv.run.code).toBe(0);
    expect(fromEnv.summary.payload.notifications.targets).toEqual([`${h.base}/env1`, `${h.base}/env2`]);
    expect([h.count("/env1"), h.count("/env2"), h.count("/config")]).toEqual([1, 1, 0]);

    // An environment value with no target counts as unset; duplicates in the config are removed.
    const fromConfig = await execJson(w, ["--", "true"], { CODEX_ORCHESTRATOR_NOTIFY: " , " });
    expect(fromConfig.summary.payload.notifications).toEqual({
      targets: [`${h.base}/config`],
      delivered: [`${h.base}/config`],
      failures: [],
    });
    expect(h.count("/config")).toBe(1);
  });

  test("config event filters: a target is contacted (and listed) only for the outcomes it asked for", async () => {
    const h = await webhook();
    const w = workspace({
      notifications: [
        `${h.base}/all`,
        { target: `${h.base}/on-failure`, events: ["failed", "cancelled"] },
        { target: `${h.base}/on-success`, events: ["succeeded"] },
      ],
    });
    const ok = await execJson(w, ["--", "true"]);
    expect(ok.summary.payload.notifications.targets).toEqual([`${h.base}/all`, `${h.base}/on-success`]);
    const failed = await execJson(w, ["--", "sh", "-c", "exit 4"]);
    expect(failed.run.code).toBe(4);
    expect(failed.summary.payload.notifications.targets).toEqual([`${h.base}/all`, `${h.base}/on-failure`]);
    expect([h.count("/all"), h.count("/on-failure"), h.count("/on-success")]).toEqual([2, 1, 1]);
  });

  test("a webhook that is down: the network error is recorded, the exit code is the command's", async () => {
    const down = `${await refusedUrl()}/down`;
    const { run, summary } = await execJson(workspace(), ["--notify", down, "--", "sh", "-c", "exit 6"]);
    expect(run.code).toBe(6);
    expect(summary.payload.notifications.delivered).toEqual([]);
    expect(summary.payload.notifications.failures).toHaveLength(1);
    expect(summary.payload.notifications.failures[0].target).toBe(down);
    expect(summary.payload.notifications.failures[0].error).toContain("ECONNREFUSED");
    expect(run.stderr).toStartWith(`Notification delivery failed for ${down}: `);
  });

  test(
    "a slow webhook times out after 5 s, is retried once, and never changes the exit code",
    async () => {
      const h = await webhook();
      const slow = `${h.base}/slow`;
      const { run, summary } = await execJson(workspace(), ["--notify", slow, "--", "true"]);
      expect(run.code).toBe(0);
      expect(h.count("/slow")).toBe(2);
      expect(summary.payload.status).toBe("succeeded");
      expect(summary.payload.notifications.failures).toEqual([
        { target: slow, error: "Notification request timed out after 5000 ms" },
      ]);
    },
    40_000,
  );
});

describe("cmd: hooks", () => {
  test("the hook gets the compact run:summary on stdin in the repository root; its stdout is discarded", async () => {
    const ws = workspace();
    const target = script(ws, "notify.sh", 'cat > "$PWD/hook-body.json"; echo from-hook-stdout; echo from-hook-stderr >&2');
    const { run, summary } = await execJson(ws, ["--notify", target, "--", "echo", "hi"]);
    expect(run.code).toBe(0);
    // stdout is exactly the summary (the hook's stdout went nowhere); its stderr is passed through.
    expect(run.stdout).toBe(`${JSON.stringify(summary)}\n`);
    expect(run.stderr).toBe("from-hook-stderr\n");
    const body = readFileSync(join(ws, "hook-body.json"), "utf8");
    const parsed = JSON.parse(body) as Json;
    expect(body).toBe(JSON.stringify(parsed));
    expect(parsed.type).toBe("run:summary");
    expect(parsed.payload.run.pipelineId).toBe("exec");
    expect(parsed.payload.notifications).toEqual({ targets: [target], delivered: [], failures: [] });
    expect(summary.payload.notifications).toEqual({ targets: [target], delivered: [target], failures: [] });
  });

  test("a failing hook is recorded and reported; the exit code stays the command's", async () => {
    const ws = workspace();
    const failing = script(ws, "fail.sh", "cat >/dev/null; exit 3");
    const h = await webhook();
    const { run, summary } = await execJson(ws, ["--notify", failing, "--notify", `${h.base}/ok`, "--", "sh", "-c", "exit 9"]);
    expect(run.code).toBe(9);
    expect(summary.payload.notifications).toEqual({
      targets: [failing, `${h.base}/ok`],
      delivered: [`${h.base}/ok`],
      failures: [{ target: failing, error: "Notification command exited with code 3" }],
    });
    expect(manifestOf(ws, summary).notifications).toEqual(summary.payload.notifications);
    expect(run.stderr).toBe(`Notification delivery failed for ${failing}: Notification command exited with code 3\n`);
  });

  test("a missing hook program is a delivery failure, not a run failure", async () => {
    const ws = workspace();
    const { run, summary } = await execJson(ws, ["--notify", "cmd:./missing.sh", "--", "true"]);
    expect(run.code).toBe(0);
    expect(summary.payload.status).toBe("succeeded");
    expect(summary.payload.notifications.failures).toHaveLength(1);
    expect(summary.payload.notifications.failures[0].target).toBe("cmd:./missing.sh");
  });
});

describe("bad targets", () => {
  test("--notify ftp://x exits 2 before a run is created", async () => {
    const ws = workspace();
    const run = await runCli(["exec", "--notify", "ftp://x", "--", "true"], { cwd: ws });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('Invalid notification target "ftp://x" from --notify.\n');
    expect(run.stdout).toBe("");
    expect(existsSync(join(ws, ".runs"))).toBe(false);
  });

  test("a bad CODEX_ORCHESTRATOR_NOTIFY entry names its source", async () => {
    const ws = workspace();
    const run = await runCli(["exec", "--", "true"], { cwd: ws, env: { CODEX_ORCHESTRATOR_NOTIFY: "mailto:x" } });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('Invalid notification target "mailto:x" from CODEX_ORCHESTRATOR_NOTIFY.\n');
    expect(existsSync(join(ws, ".runs"))).toBe(false);
  });
});
