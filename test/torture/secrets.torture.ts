/**
 * Secrets (issue 10): values of environment variables whose names contain TOKEN, KEY, SECRET or PASSWORD never
 * appear in `<runs>`, `<out>`, stdout events, OTLP bodies or webhook bodies — also when the output splits a value
 * across two chunks, when it sits in a base64 (binary) chunk, or when it is passed as an argument — while the command
 * itself still gets them.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type OtlpReceiver, startOtlpReceiver } from "../helpers/otlp-receiver.ts";
import { chunkBytes, filesUnder, jsonlEvents, leftovers, logChunks, newMarker, runCli, tortureEnv } from "./harness.ts";
import { tortureWorkspace } from "./workspace.ts";

const hex = () => randomBytes(8).toString("hex");
/** Variable name → value: the four name patterns, any case, values with JSON-special and non-ASCII characters. */
const SECRETS: Record<string, string> = {
  TORTURE_API_TOKEN: `tok-${hex()}`,
  DB_PASSWORD: `pa"ss\\word-${hex()}`,
  AWS_SECRET_ACCESS_KEY: `aws/${hex()}+${hex()}`,
  my_private_key: `clé-秘密-${hex()}`,
};
const values = Object.values(SECRETS);

/** Every secret found in `haystack` (raw bytes, and their base64 is not searched: see `decodedChunks`). */
function leaked(where: string, haystack: Uint8Array | string): string[] {
  const text = typeof haystack === "string" ? haystack : Buffer.from(haystack).toString("utf8");
  return values.filter((s) => text.includes(s)).map((s) => `${where}: ${s}`);
}

const receivers: OtlpReceiver[] = [];
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
});

async function receiver(): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver({ kind: "ok" });
  receivers.push(r);
  return r;
}

/** Everything the run wrote, every body it sent and its stdout, searched for every secret. */
function leaksOf(w: string, stdout: string, hook: OtlpReceiver, otlp: OtlpReceiver): string[] {
  const found: string[] = [];
  found.push(...leaked("stdout", stdout));
  for (const file of [...filesUnder(join(w, ".runs")), ...filesUnder(join(w, "out"))]) {
    found.push(...leaked(file, readFileSync(file)));
    // A value split over two chunks, or inside a base64 chunk, only shows once the chunks are joined and decoded.
    if (file.endsWith(".ndjson")) {
      for (const stream of ["stdout", "stderr"]) found.push(...leaked(`${file} (${stream} chunks joined)`, chunkBytes(logChunks(file), stream)));
    }
  }
  const events = jsonlEvents(stdout).filter((e) => e.type === "exec:chunk").map((e) => e.payload);
  for (const stream of ["stdout", "stderr"]) found.push(...leaked(`stdout events (${stream} chunks joined)`, chunkBytes(events, stream)));
  for (const [i, req] of hook.requests.entries()) found.push(...leaked(`webhook body ${i + 1}`, req.body));
  for (const [i, req] of otlp.requests.entries()) found.push(...leaked(`OTLP body ${i + 1}`, req.body));
  return found;
}

/**
 * A script that prints every secret to stdout and stderr, once straddling the 8 KiB chunk boundary, once after an
 * invalid UTF-8 byte (a base64 chunk), and saves what it received so the test can prove it got the real values.
 */
const SCRIPT = `
for v in TORTURE_API_TOKEN DB_PASSWORD AWS_SECRET_ACCESS_KEY my_private_key; do
  eval "val=\\$$v"
  printf '%s\\n' "$val" >> received.txt
  printf 'plain %s\\n' "$val"; printf 'err %s\\n' "$val" >&2
done
head -c 8185 /dev/zero | tr '\\0' x; printf '%s\\n' "$TORTURE_API_TOKEN"
printf '\\377%s\\n' "$AWS_SECRET_ACCESS_KEY"
`;

describe("secrets never leave the command", () => {
  test("exec --jsonl with a webhook and an OTLP receiver: no secret anywhere; the command got every value", async () => {
    const w = tortureWorkspace();
    const marker = newMarker();
    writeFileSync(join(w, "leak.sh"), SCRIPT);
    const hook = await receiver();
    const otlp = await receiver();
    const r = await runCli(
      ["exec", "--jsonl", "--notify", `${hook.base}/hook`, "--otel-endpoint", otlp.base, "--", "sh", "leak.sh", SECRETS.TORTURE_API_TOKEN as string],
      { cwd: w, env: tortureEnv(w, marker, SECRETS) },
    );
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(readFileSync(join(w, "received.txt"), "utf8")).toBe(`${values.join("\n")}\n`);
    expect([hook.requests.length, otlp.requests.length > 0]).toEqual([1, true]);
    expect(leaksOf(w, r.stdout, hook, otlp)).toEqual([]);
    expect(await leftovers(marker)).toEqual([]);
  }, 60_000);

  test("start --format jsonl of a stage printing the secrets, with a webhook and an OTLP receiver: no secret anywhere", async () => {
    const w = tortureWorkspace();
    const marker = newMarker();
    writeFileSync(join(w, "leak.sh"), SCRIPT);
    const config = JSON.parse(readFileSync(join(w, "codex.orchestrator.json"), "utf8"));
    config.pipelines.push({ id: "leaky", title: "Leaky", stages: [{ kind: "command", id: "leak", title: "leak", command: "sh leak.sh" }] });
    writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify(config));
    const hook = await receiver();
    const otlp = await receiver();
    const r = await runCli(["start", "leaky", "--format", "jsonl", "--notify", `${hook.base}/hook`, "--otel-endpoint", otlp.base], {
      cwd: w,
      env: tortureEnv(w, marker, SECRETS),
    });
    expect(r.code).toBe(0);
    expect(readFileSync(join(w, "received.txt"), "utf8")).toBe(`${values.join("\n")}\n`);
    expect([hook.requests.length, otlp.requests.length > 0]).toEqual([1, true]);
    expect([...leaksOf(w, r.stdout, hook, otlp), ...leaked("stderr", r.stderr)]).toEqual([]);
    expect(await leftovers(marker)).toEqual([]);
  }, 60_000);

  test("a secret given to one stage by the config's stage env is redacted as well", async () => {
    const w = tortureWorkspace();
    const marker = newMarker();
    const stageSecret = `stage-${hex()}`;
    const config = JSON.parse(readFileSync(join(w, "codex.orchestrator.json"), "utf8"));
    config.pipelines.push({
      id: "stagekey",
      title: "Stage key",
      stages: [{ kind: "command", id: "use", title: "use", command: 'printf %s "$DEPLOY_TOKEN" > got.txt; echo "token $DEPLOY_TOKEN"', env: { DEPLOY_TOKEN: stageSecret } }],
    });
    writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify(config));
    const r = await runCli(["start", "stagekey", "--format", "jsonl"], { cwd: w, env: tortureEnv(w, marker) });
    expect(r.code).toBe(0);
    expect(readFileSync(join(w, "got.txt"), "utf8")).toBe(stageSecret);
    const found = [r.stdout, ...filesUnder(join(w, ".runs")).map((f) => readFileSync(f, "utf8"))].filter((t) => t.includes(stageSecret));
    expect(found).toEqual([]);
  }, 60_000);
});
