/**
 * The SDK under Deno with the minimum permissions docs/guides/sdk.md names (issue 14): run the CLI binary, read the
 * package (to find the binary) and the system's dynamic loader (to tell glibc from musl), read the environment
 * (passed to the CLI). Nothing else — no --allow-sys, no --allow-write (the CLI, a subprocess, writes the run).
 */
import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, REPO_ROOT, scratchDir } from "../helpers/cli.ts";

const DENO = join(REPO_ROOT, "node_modules/.bin/deno");

async function deno(flags: string[], cwd: string) {
  const proc = Bun.spawn([DENO, "run", ...flags, "sdk.mjs"], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: cwd, DENO_DIR: join(cwd, ".deno"), NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", MCP_RUNNER_TASK_ID: "deno" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code: proc.exitCode, stdout, stderr };
}

test("the SDK runs under Deno with --allow-run, --allow-read and --allow-env only", async () => {
  const w = scratchDir("co-deno-perm-");
  writeFileSync(
    join(w, "sdk.mjs"),
    `import { Orchestrator } from ${JSON.stringify(join(REPO_ROOT, "dist/sdk/index.js"))};
const run = new Orchestrator().exec("echo", ["from-deno"]);
let out = "";
for await (const event of run) if (event.type === "exec:chunk") out += event.payload.data;
const summary = await run.result;
console.log(JSON.stringify({ out, status: summary.status }));
`,
  );
  const narrow = [`--allow-run=${CLI}`, `--allow-read=${REPO_ROOT},/lib,/lib64`, "--allow-env"];
  const ok = await deno(narrow, w);
  expect(ok.stderr).toBe("");
  expect(JSON.parse(ok.stdout)).toEqual({ out: "from-deno\n", status: "succeeded" });
  // Each of the three is needed.
  for (const drop of ["--allow-run", "--allow-read", "--allow-env"]) {
    const r = await deno(narrow.filter((f) => !f.startsWith(drop)), w);
    expect(r.code).not.toBe(0);
  }
}, 60_000);
