/**
 * `npm test`: type check, build the binary and the SDK bundle the tests drive, run `bun test` (junit report), then the
 * SDK suites under real Node and real Deno, and print one line `N passed, N failed[, K skipped]` as the very last line
 * (after one `skipped K: <reason>` line per reason, from test/helpers/needs-program.ts). Exits
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

type CaseResult = { file: string; classname: string; name: string; status: "passed" | "failed" | "skipped" };

function attr(tag: string, name: string): string {
  const m = new RegExp(`\\b${name}="([^"]*)"`).exec(tag);
  return m === null ? "" : (m[1] ?? "").replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&apos;/g, "'").replace(/&amp;/g, "&");
}

/** The test cases of a junit file, by counting its elements (Node's root element has no totals). */
function junitCases(path: string): CaseResult[] | null {
  if (!existsSync(path)) return null;
  const xml = readFileSync(path, "utf8");
  const out: CaseResult[] = [];
  for (const c of xml.split(/<testcase\b/).slice(1)) {
    const tag = c.slice(0, c.indexOf(">") + 1);
    const body = c.split(/<\/testcase>|<testcase\b/)[0] ?? "";
    const selfClosed = /^[^>]*\/>/.test(c);
    const status = selfClosed ? "passed" : /<(failure|error)\b/.test(body) ? "failed" : /<skipped\b/.test(body) ? "skipped" : "passed";
    out.push({ file: attr(tag, "file"), classname: attr(tag, "classname"), name: attr(tag, "name"), status });
  }
  return out;
}

type SkipRecord = { file: string; kind: "describe" | "test"; name: string; reason: string };

/** The reason a skipped case was skipped (test/helpers/needs-program.ts recorded it), or a plain note. */
function skipReason(c: CaseResult, records: SkipRecord[]): string {
  const sameFile = (r: SkipRecord) => c.file === "" || r.file.endsWith(c.file) || c.file.endsWith(r.file);
  const hit = records.find((r) => sameFile(r) && (r.kind === "test" ? c.name === r.name : c.classname === r.name || c.classname.startsWith(`${r.name} `)));
  return hit?.reason ?? "skipped in its test file (no reason recorded)";
}

let failedSteps = 0;
const step = (cmd: string[], label: string) => {
  if (run(cmd, label) !== 0) failedSteps++;
};
step([process.execPath, "x", "tsc", "--noEmit", "-p", "tsconfig.json"], "type check");
step([process.execPath, "run", "build.ts"], "build");
step([process.execPath, "run", "scripts/build-sdk.ts"], "SDK build");

mkdirSync(results, { recursive: true });
for (const f of ["junit.xml", "sdk-node.xml", "sdk-deno.xml", "skips.ndjson"]) rmSync(`${results}/${f}`, { force: true });
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
const skipped: CaseResult[] = [];
for (const suite of suites) {
  const cases = junitCases(suite.file);
  if (cases === null) {
    failed += 1;
    continue;
  }
  const failedHere = cases.filter((c) => c.status === "failed").length;
  passed += cases.filter((c) => c.status === "passed").length;
  failed += failedHere;
  skipped.push(...cases.filter((c) => c.status === "skipped"));
  if (suite.code !== 0 && failedHere === 0) failed += 1;
}
const skipsFile = `${results}/skips.ndjson`;
const records: SkipRecord[] = existsSync(skipsFile)
  ? readFileSync(skipsFile, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as SkipRecord)
  : [];
const byReason = new Map<string, number>();
for (const c of skipped) {
  const reason = skipReason(c, records);
  byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
}
for (const [reason, n] of byReason) console.log(`skipped ${n}: ${reason}`);
console.log(`${passed} passed, ${failed} failed${skipped.length > 0 ? `, ${skipped.length} skipped` : ""}`);
process.exit(failedSteps > 0 || failed > 0 ? 1 : 0);
