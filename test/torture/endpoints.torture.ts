/**
 * An OTLP receiver and a webhook that refuse connections, answer 500, or never answer: the exit code is the
 * command's (or the run's), the CLI ends within a bounded time, the failure is reported on stderr, nothing is left.
 * The receivers are real HTTP servers on 127.0.0.1 (test/helpers/otlp-receiver.ts serves any path).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type OtlpReceiver, type ReceiverMode, refusedUrl, startOtlpReceiver } from "../helpers/otlp-receiver.ts";
import { checkStore, leftovers, newMarker, runCli, tortureEnv } from "./harness.ts";
import { tortureWorkspace } from "./workspace.ts";

type Fault = "refuse" | "500" | "hang";
const FAULTS: Fault[] = ["refuse", "500", "hang"];
const MODES: Record<Exclude<Fault, "refuse">, ReceiverMode> = { "500": { kind: "status", status: 500 }, hang: { kind: "hang" } };

/**
 * Bounds, generous on a loaded 2-core machine. Webhook: 5 s timeout per attempt, one retry after 1 s (SPEC §19).
 * Telemetry: the export at exit is bounded to 2 s (SPEC §20).
 */
const WEBHOOK_BOUND_MS = 20_000;
const OTLP_BOUND_MS = 10_000;

const servers: OtlpReceiver[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function endpoint(fault: Fault): Promise<{ url: string; server: OtlpReceiver | null }> {
  if (fault === "refuse") return { url: await refusedUrl(), server: null };
  const server = await startOtlpReceiver(MODES[fault]);
  servers.push(server);
  return { url: server.base, server };
}

const figures: string[] = [];
afterAll(() => console.log(`[torture] faulty endpoints: ${figures.join("; ")}`));

describe("faulty webhook and OTLP receiver", () => {
  for (const fault of FAULTS) {
    test(`webhook that ${fault === "500" ? "fails (500)" : fault === "hang" ? "hangs" : "refuses"}: exit code unchanged, bounded, reported`, async () => {
      const w = tortureWorkspace();
      const marker = newMarker();
      const { url, server } = await endpoint(fault);
      const target = `${url}/hook`;
      const r = await runCli(["exec", "--json", "compact", "--notify", target, "--", "sh", "-c", "echo hi; exit 3"], {
        cwd: w,
        env: tortureEnv(w, marker),
      });
      expect(r.code).toBe(3);
      expect(r.ms).toBeLessThan(WEBHOOK_BOUND_MS);
      const summary = JSON.parse(r.stdout);
      expect(summary.payload.notifications.delivered).toEqual([]);
      expect(summary.payload.notifications.failures.map((f: { target: string }) => f.target)).toEqual([target]);
      expect(r.stderr.split("\n").filter((l) => l.startsWith(`Notification delivery failed for ${target}: `))).toHaveLength(1);
      // One retry after a 5xx, a network error or a timeout.
      if (server !== null) expect(server.hits()).toBe(2);
      expect(checkStore(join(w, ".runs")).manifests).toHaveLength(1);
      expect(await leftovers(marker)).toEqual([]);
      figures.push(`webhook ${fault} ${Math.round(r.ms)} ms`);
    }, 60_000);

    test(`OTLP receiver that ${fault === "500" ? "fails (500)" : fault === "hang" ? "hangs" : "refuses"}: exit code unchanged, bounded`, async () => {
      const w = tortureWorkspace();
      const marker = newMarker();
      const { url, server } = await endpoint(fault);
      const r = await runCli(["exec", "--json", "compact", "--otel-endpoint", url, "--", "sh", "-c", "echo hi; exit 3"], {
        cwd: w,
        env: tortureEnv(w, marker),
      });
      expect(r.code).toBe(3);
      expect(r.ms).toBeLessThan(OTLP_BOUND_MS);
      expect(JSON.parse(r.stdout).payload.status).toBe("failed");
      // At most 3 export requests in any 60 s (SPEC §20).
      if (server !== null) expect(server.hits()).toBeLessThanOrEqual(3);
      expect(r.stderr.split("\n").filter((l) => l.startsWith("Telemetry disabled after 3 consecutive failures")).length).toBeLessThanOrEqual(1);
      expect(checkStore(join(w, ".runs")).manifests).toHaveLength(1);
      expect(await leftovers(marker)).toEqual([]);
      figures.push(`otlp ${fault} ${Math.round(r.ms)} ms`);
    }, 60_000);
  }

  test("start with a hanging webhook and a hanging receiver at once: succeeded, exit 0, bounded", async () => {
    const w = tortureWorkspace();
    const marker = newMarker();
    const hook = await endpoint("hang");
    const otlp = await endpoint("hang");
    const r = await runCli(["start", "torture", "--format", "json", "--notify", `${hook.url}/hook`, "--otel-endpoint", otlp.url], {
      cwd: w,
      env: tortureEnv(w, marker),
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe("succeeded");
    expect(r.ms).toBeLessThan(WEBHOOK_BOUND_MS + OTLP_BOUND_MS);
    const store = checkStore(join(w, ".runs"));
    expect(store.metrics).toHaveLength(2); // the run and its child
    expect(await leftovers(marker)).toEqual([]);
    figures.push(`start with both hanging ${Math.round(r.ms)} ms`);
  }, 90_000);

  test("start of a failing pipeline with a refusing webhook and a failing receiver: exit 1 unchanged", async () => {
    const w = tortureWorkspace();
    const marker = newMarker();
    const hook = await endpoint("refuse");
    const otlp = await endpoint("500");
    const r = await runCli(["start", "failing", "--format", "json", "--notify", `${hook.url}/hook`, "--otel-endpoint", otlp.url], {
      cwd: w,
      env: tortureEnv(w, marker),
    });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).status).toBe("failed");
    expect(r.ms).toBeLessThan(WEBHOOK_BOUND_MS);
    expect(r.stderr).toContain(`Notification delivery failed for ${hook.url}/hook: `);
    expect(checkStore(join(w, ".runs")).metrics).toHaveLength(1);
    expect(await leftovers(marker)).toEqual([]);
    figures.push(`failing start, refuse + 500 ${Math.round(r.ms)} ms`);
  }, 60_000);
});
