/**
 * `npm test`: type check, build the binary and the SDK bundle the tests drive, run `bun test` (junit report), then the
 * SDK suites under real Node and real Deno, and print one line `N passed, N failed` as the very last line. Exits
 * non-zero when the type check, a build or any test fails. Extra arguments go to `bun test` only (e.g.
 * `npm test -- test/core`), and then the Node/Deno suites are skipped.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
const results = `${root}.test-results`;
const filtered = process.argv.length > 2;

function run(cmd: string[], label: string): number {
  const proc = Bun.spawnSync(cmd, { cwd: root, stdio: ["inherit", "inherit", "inherit"] });
  if (proc.exitCode !== 0) console.error(`${label} failed (exit ${proc.exitCode ?? proc.signalCode})`);
  return proc.exitCode ?? 1;
}

/** Totals of a junit file by counting its elements (Node's root element has no totals). */
function junitTotals(path: string): { passed: number; failed: number } | null {
  if (!existsSync(path)) return null;
  const xml = readFileSync(path, "utf8");
  const cases = xml.split(/<testcase\b/).slice(1);
  let failed = 0;
  let skipped = 0;
  for (const c of cases) {
    const body = c.split(/<\/testcase>|<testcase\b/)[0] ?? "";
    const selfClosed = /^[^>]*\/>/.test(c);
    if (selfClosed) continue;
    if (/<(failure|error)\b/.test(body)) failed++;
    else if (/<skipped\b/.test(body)) skipped++;
  }
  return { passed: cases.length - failed - skipped, failed };
}

let failedSteps = 0;
const step = (cmd: string[], label: string) => {
  if (run(cmd, label) !== 0) failedSteps++;
};
step([process.execPath, "x", "tsc", "--noEmit", "-p", "tsconfig.json"], "type check");
step([process.execPath, "run", "build.ts"], "build");
step([process.execPath, "run", "scripts/build-sdk.ts"], "SDK build");

mkdirSync(results, { recursive: true });
for (const f of ["junit.xml", "sdk-node.xml", "sdk-deno.xml"]) rmSync(`${results}/${f}`, { force: true });
const suites: { file: string; code: number }[] = [];
suites.push({
  file: `${results}/junit.xml`,
  // bun test ignores a timeout in bunfig.toml; e2e tests that drive the binary need more than the 5 s default.
  code: run(
    [process.execPath, "test", "--timeout=60000", "--reporter=junit", `--reporter-outfile=${results}/junit.xml`, ...process.argv.slice(2)],
    "bun test",
  ),
});
if (!filtered) {
  suites.push({
    file: `${results}/sdk-node.xml`,
    code: run(
      ["node", "--test", "--test-reporter=junit", `--test-reporter-destination=${results}/sdk-node.xml`, "test/sdk-node/"],
      "SDK tests under Node",
    ),
  });
  suites.push({
    file: `${results}/sdk-deno.xml`,
    code: run(
      [`${root}node_modules/.bin/deno`, "test", "--allow-all", `--junit-path=${results}/sdk-deno.xml`, "test/sdk-deno/"],
      "SDK tests under Deno",
    ),
  });
}

let passed = 0;
let failed = 0;
for (const suite of suites) {
  const totals = junitTotals(suite.file);
  if (totals === null) {
    failed += 1;
    continue;
  }
  passed += totals.passed;
  failed += totals.failed;
  if (suite.code !== 0 && totals.failed === 0) failed += 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failedSteps > 0 || failed > 0 ? 1 : 0);
