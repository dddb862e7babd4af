/**
 * `npm run torture`: the reliability torture suite (issue 10, docs/reliability.md). Builds a private binary (unless
 * `CODEX_ORCHESTRATOR_TEST_BIN` names one), runs every `test/torture/*.torture.ts` file with `bun test` (those names
 * are never discovered by the normal `npm test`), then prints `N passed, N failed` and the wall time as the last line.
 * The whole run is bounded: past TORTURE_BUDGET_SECONDS (default 600) it is stopped and counted as failed.
 * Extra arguments go to `bun test` (e.g. `npm run torture -- -t "kill -9"`). `TORTURE_SEED` replays a kill schedule.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const started = performance.now();
const budgetMs = Number(process.env.TORTURE_BUDGET_SECONDS ?? 600) * 1000;

let bin = process.env.CODEX_ORCHESTRATOR_TEST_BIN;
let binDir: string | null = null;
if (bin === undefined || bin === "") {
  // A private build: dist/ belongs to whoever ran `npm run build` last.
  binDir = mkdtempSync(join(tmpdir(), "codex-torture-bin-"));
  bin = join(binDir, "codex-orchestrator");
  const build = spawnSync(process.execPath, ["run", "build.ts", "--outfile", bin], { cwd: root, stdio: "inherit" });
  if (build.status !== 0) {
    console.error(`build failed (exit ${build.status ?? build.signal})`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
}

// Every scratch workspace goes under one directory (os.tmpdir() honours TMPDIR): removed when all passed, kept
// for inspection otherwise. World-traversable, for the case that runs the CLI as an unprivileged user.
const scratch = mkdtempSync(join(tmpdir(), "codex-torture-"));
chmodSync(scratch, 0o755);

const files = readdirSync(join(root, "test/torture"))
  .filter((f) => f.endsWith(".torture.ts"))
  .sort()
  .map((f) => `./test/torture/${f}`);
const resultsDir = join(root, ".test-results");
const junitPath = join(resultsDir, "torture-junit.xml");
mkdirSync(resultsDir, { recursive: true });
rmSync(junitPath, { force: true });

const child = spawn(
  process.execPath,
  ["test", "--timeout=300000", "--reporter=junit", `--reporter-outfile=${junitPath}`, ...process.argv.slice(2), ...files],
  { cwd: root, stdio: "inherit", env: { ...process.env, CODEX_ORCHESTRATOR_TEST_BIN: bin, TMPDIR: scratch, CODEX_ORCHESTRATOR_KEEP_SCRATCH: "1" }, detached: true },
);
let overBudget = false;
const timer = setTimeout(() => {
  overBudget = true;
  console.error(`torture suite over its budget of ${budgetMs / 1000} s: stopped`);
  try {
    process.kill(-(child.pid as number), "SIGKILL"); // the test runner and everything it started
  } catch {
    // Already gone.
  }
}, budgetMs);
const code: number = await new Promise((resolve) => child.on("exit", (c) => resolve(c ?? 1)));
clearTimeout(timer);

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const head = /<testsuites\b[^>]*>/.exec(readFileSync(junitPath, "utf8"))?.[0] ?? "";
  const attr = (name: string) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(head)?.[1] ?? 0);
  failed = attr("failures") + attr("errors");
  skipped = attr("skipped");
  passed = attr("tests") - failed - skipped;
} catch {
  failed = 1;
}
if ((code !== 0 || overBudget) && failed === 0) failed = 1;
// A case stopped by the budget may leave its tmpfs mounted: unmount whatever is still mounted under the scratch dir.
for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
  const target = line.split(" ")[1];
  if (target?.startsWith(`${scratch}/`)) spawnSync("umount", ["-l", target]);
}
if (binDir !== null) rmSync(binDir, { recursive: true, force: true });
if (failed === 0) rmSync(scratch, { recursive: true, force: true });
else console.error(`scratch workspaces kept for inspection: ${scratch}`);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""} (${seconds} s)`);
process.exit(failed > 0 ? 1 : 0);
