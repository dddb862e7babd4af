import { expect, test } from "bun:test";
import { readdirSync, readFileSync, } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { shutdownHost } from "../../src/exec/session-client.ts";
import { runCli } from "../helpers/cli.ts";
import { workspace } from "../helpers/workspace.ts";

const SECRET = "s3cr3t-Value-42";

function readTree(dir: string): string {
  let text = "";
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) text += readFileSync(join(entry.parentPath, entry.name), "utf8");
  }
  return text;
}

test("secret env values are redacted in stdout events, logs, manifests and notifications; the command still gets them", async () => {
  const w = workspace(undefined, "co-redact-");
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      bodies.push(body);
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const r = await runCli(
      ["exec", "--notify", `http://127.0.0.1:${port}/hook`, "--", "sh", "-c", 'printf %s "$MY_API_TOKEN" > seen.txt; echo "token=$MY_API_TOKEN"; echo "$MY_API_TOKEN" >&2; exit 3'],
      { cwd: w, env: { MY_API_TOKEN: SECRET } },
    );
    expect(r.code).toBe(3);
    expect(readFileSync(join(w, "seen.txt"), "utf8")).toBe(SECRET);
    expect(r.stdout).not.toContain(SECRET);
    expect(r.stdout).toContain("token=***");
    const store = readTree(join(w, ".runs"));
    expect(store).not.toContain(SECRET);
    expect(store).toContain("token=***");
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).not.toContain(SECRET);
    expect(bodies[0]).toContain("***");
  } finally {
    server.close();
  }
});

/** Every .json file parses and every line of every .ndjson file and of metrics.json parses; returns how many records were checked. */
function assertRecordsParse(dir: string): number {
  let checked = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const text = readFileSync(path, "utf8");
    // metrics.json is a line per run (SPEC §17.1), like the .ndjson logs.
    if (entry.name.endsWith(".json") && entry.name !== "metrics.json") {
      expect(() => JSON.parse(text), path).not.toThrow();
      checked++;
    } else if (entry.name.endsWith(".ndjson") || entry.name === "metrics.json") {
      for (const line of text.split("\n").filter(Boolean)) {
        expect(() => JSON.parse(line), `${path}: ${line.slice(0, 120)}`).not.toThrow();
        checked++;
      }
    }
  }
  return checked;
}

// What a CI runner's environment looks like under secret-looking names: booleans, null, numbers, short values, and
// real secrets beside them (issue 22, point 1).
const CI_ENV = {
  TOKENIZERS_PARALLELISM: "false",
  USE_KEYRING: "true",
  PIP_NO_KEYRING: "null",
  ACTIONS_RUNTIME_TOKEN_TTL: "3600",
  SSH_KEY_BITS: "4096",
  KEY: "1",
  GITHUB_TOKEN: "ghs_Realsecret0123456789",
  NPM_PASSWORD: 'pa"ss\\word-xyz',
};

test("a CI runner's env: every JSON file and stream line of exec and start still parses, real secrets are absent (issue 22)", async () => {
  const w = workspace(
    {
      pipelines: [
        {
          id: "ci",
          title: "CI",
          stages: [
            { kind: "command", id: "show", title: "Show", command: 'echo "gh=$GITHUB_TOKEN npm=$NPM_PASSWORD flag=$USE_KEYRING"' },
            { kind: "command", id: "fail-allowed", title: "Fails", command: "echo persisted=false; exit 3", allowFailure: true },
          ],
        },
      ],
    },
    "co-redact-ci-",
  );
  const exec = await runCli(["exec", "--", "sh", "-c", 'echo "true false null 3600 $GITHUB_TOKEN"; echo "$NPM_PASSWORD" >&2'], { cwd: w, env: CI_ENV });
  expect(exec.code).toBe(0);
  const lines = exec.stdout.split("\n").filter(Boolean);
  expect(lines.length).toBeGreaterThan(3);
  const events = lines.map((line) => JSON.parse(line) as { type: string; payload: Record<string, unknown> });
  const summary = events.find((e) => e.type === "run:summary");
  expect(summary).toBeDefined();
  expect(exec.stdout).toContain("true false null 3600 ***");
  const start = await runCli(["start", "ci", "--format", "json"], { cwd: w, env: CI_ENV });
  expect(start.code).toBe(0);
  const result = JSON.parse(start.stdout);
  expect(result.status).toBe("succeeded");
  // A second run reads and extends the task's state.json: a corrupted snapshot would show here.
  const again = await runCli(["start", "ci", "--format", "json"], { cwd: w, env: CI_ENV });
  expect(again.code).toBe(0);
  const state = JSON.parse(readFileSync(join(w, "out", "t1", "state.json"), "utf8"));
  expect(state.runs).toHaveLength(2);
  expect(assertRecordsParse(join(w, ".runs"))).toBeGreaterThan(10);
  expect(assertRecordsParse(join(w, "out"))).toBeGreaterThan(0);
  const store = readTree(join(w, ".runs")) + readTree(join(w, "out")) + exec.stdout + start.stdout;
  for (const secret of ["ghs_Realsecret0123456789", 'pa"ss\\word-xyz', JSON.stringify('pa"ss\\word-xyz').slice(1, -1)]) {
    expect(store).not.toContain(secret);
  }
  expect(store).toContain("gh=*** npm=*** flag=true");
  // status reads the manifest back: a `***` where a boolean was would make it refuse.
  const status = await runCli(["status", result.runId ?? result.run_id, "--format", "json"], { cwd: w, env: CI_ENV });
  expect(status.code).toBe(0);
});

test("output of a command in a live session shell is redacted at its source like a spawned one's (issue 16)", async () => {
  const w = workspace(undefined, "co-redact-session-");
  try {
    const r = await runCli(["exec", "--jsonl", "--session", "red", "--", "sh", "-c", 'echo "token=$MY_API_TOKEN"'], {
      cwd: w,
      env: { MY_API_TOKEN: SECRET },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("token=***");
    expect(r.stdout).not.toContain(SECRET);
    expect(readTree(join(w, ".runs", "t1", "cli"))).not.toContain(SECRET);
  } finally {
    await shutdownHost(join(w, ".runs")).catch(() => {});
  }
});
