/**
 * `npm test`: type check, build the binary the e2e tests drive, run `bun test` (junit report), then print one line
 * `N passed, N failed` as the last line. Exits non-zero when the type check, the build or any test fails.
 * Extra arguments are passed to `bun test` (e.g. `npm test -- test/core`).
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
const junitPath = `${root}.test-results/junit.xml`;

function run(cmd: string[], label: string): number {
  const proc = Bun.spawnSync(cmd, { cwd: root, stdio: ["inherit", "inherit", "inherit"] });
  if (proc.exitCode !== 0) console.error(`${label} failed (exit ${proc.exitCode ?? proc.signalCode})`);
  return proc.exitCode ?? 1;
}

let failedSteps = 0;
failedSteps += run([process.execPath, "x", "tsc", "--noEmit", "-p", "tsconfig.json"], "type check") === 0 ? 0 : 1;
failedSteps += run([process.execPath, "run", "build.ts"], "build") === 0 ? 0 : 1;

mkdirSync(`${root}.test-results`, { recursive: true });
rmSync(junitPath, { force: true });
const testCode = run(
  // bun test ignores a timeout in bunfig.toml; e2e tests that drive the binary need more than the 5 s default.
  [process.execPath, "test", "--timeout=60000", "--reporter=junit", `--reporter-outfile=${junitPath}`, ...process.argv.slice(2)],
  "bun test",
);

let passed = 0;
let failed = 0;
try {
  const xml = readFileSync(junitPath, "utf8");
  // The root <testsuites> element carries the totals.
  const head = /<testsuites\b[^>]*>/.exec(xml)?.[0] ?? "";
  const attr = (name: string) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(head)?.[1] ?? 0);
  const total = attr("tests");
  failed = attr("failures") + attr("errors");
  passed = total - failed - attr("skipped");
} catch {
  failed = Math.max(failed, 1);
}
if (testCode !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failedSteps > 0 || testCode !== 0 || failed > 0 ? 1 : 0);
