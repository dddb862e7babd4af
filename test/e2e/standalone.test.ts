import { expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, scratchDir } from "../helpers/cli.ts";

/** Runs the binary with an environment holding nothing but an empty PATH: no node, no bun, nothing. */
async function bare(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const emptyBin = join(cwd, "empty-bin");
  mkdirSync(emptyBin, { recursive: true });
  const proc = Bun.spawn([CLI, ...args], {
    cwd,
    env: { PATH: emptyBin, MCP_RUNNER_TASK_ID: "t1" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code: await proc.exited, stdout, stderr };
}

test("the binary needs neither node nor bun (nor anything else) on PATH (SPEC §2, check 44)", async () => {
  const w = scratchDir("co-standalone-");
  const version = await bare(["--version"], w);
  expect(version.code).toBe(0);
  expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version);
  writeFileSync(
    join(w, "codex.orchestrator.json"),
    JSON.stringify({ pipelines: [{ id: "p", title: "P", stages: [{ kind: "command", id: "echo-ok", title: "emit ok", command: "/bin/echo ok" }] }] }),
  );
  const start = await bare(["start", "p", "--format", "json"], w);
  expect(start.code).toBe(0);
  expect(JSON.parse(start.stdout).status).toBe("succeeded");
  const exec = await bare(["exec", "--json", "compact", "--", "/bin/echo", "hi"], w);
  expect(exec.code).toBe(0);
  expect(JSON.parse(exec.stdout).payload.outputs.stdout).toBe("hi\n");
});

test("the binary reads neither .env nor bunfig.toml from where it runs (SPEC §2)", async () => {
  const w = scratchDir("co-noautoload-");
  writeFileSync(join(w, ".env"), "MCP_RUNNER_TASK_ID=fromdotenv\nCO_DOTENV=leaked\n");
  writeFileSync(join(w, "preload.ts"), `require("node:fs").writeFileSync(${JSON.stringify(join(w, "preloaded"))}, "x");\n`);
  writeFileSync(join(w, "bunfig.toml"), 'preload = ["./preload.ts"]\n');
  const proc = Bun.spawn([CLI, "exec", "--json", "compact", "--", "sh", "-c", 'echo "${CO_DOTENV:-none}"'], {
    cwd: w,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = await new Response(proc.stdout).text();
  expect(await proc.exited).toBe(0);
  const payload = JSON.parse(out).payload;
  expect(payload.outputs.stdout).toBe("none\n");
  expect(payload.run.taskId).toBe("0101");
  expect(Bun.file(join(w, "preloaded")).size).toBe(0);
});
