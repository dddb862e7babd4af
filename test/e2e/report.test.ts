// The `report` command and `--report` (issue 20) through the compiled binary: where the page goes, what it links,
// how bad input fails, `--open`, `start`/`resume`/`exec` writing it, the GitHub step summary, and the text timeline
// `status` draws in a terminal. What the page looks like in a browser is report-browser.test.ts.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { CLI, runCli, scratchDir } from "../helpers/cli.ts";
import { SPEC_CONFIG } from "../pipeline/fixture.ts";
import { spawnCli } from "../helpers/cli.ts";
import { readValidManifest } from "../helpers/runs.ts";
import { waitFor } from "../helpers/wait.ts";

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON under test is walked freely
type Json = Record<string, any>;

function workspace(config: Json = SPEC_CONFIG): string {
  const w = scratchDir("co-report-cli-");
  writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify(config));
  return w;
}

const runIdOf = (stdout: string) => /Run (?:started|resumed): (\S+)/.exec(stdout)?.[1] as string;
const runDir = (w: string, runId: string) => join(w, ".runs/t1/cli", runId);

/** `href`s of a page that are not fragment links. */
const fileLinks = (html: string) => [...html.matchAll(/href="([^"#][^"]*)"/g)].map((m) => (m[1] as string).replaceAll("&amp;", "&"));

describe("report command", () => {
  test("report <run-id> writes <run dir>/report.html; --out elsewhere keeps its links pointing at the run's files", async () => {
    const w = workspace();
    const run = await runCli(["start", "parent"], { cwd: w });
    expect(run.code).toBe(0);
    const runId = runIdOf(run.stdout);
    const r = await runCli(["report", runId], { cwd: w });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Report: .runs/t1/cli/${runId}/report.html\n`);
    expect(r.stderr).toBe("");
    const html = readFileSync(join(runDir(w, runId), "report.html"), "utf8");
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain(`data-run-id="${runId}"`);
    // The child run is nested: its command's bar and details are on the parent's page.
    const child = (readValidManifest(join(runDir(w, runId), "manifest.json")) as Json).child_runs[0].run_id as string;
    expect(html).toContain(`data-key="${child}/1"`);
    expect(fileLinks(html)).toContain(`../${child}/commands/01-echo-ok.ndjson`);

    const out = join(w, "site", "nested", "run.html");
    const elsewhere = await runCli(["report", join(runDir(w, runId), "manifest.json"), "--out", out], { cwd: w });
    expect(elsewhere.code).toBe(0);
    expect(elsewhere.stdout).toBe("Report: site/nested/run.html\n");
    const links = fileLinks(readFileSync(out, "utf8"));
    expect(links).toContain(`../../.runs/t1/cli/${runId}/manifest.json`);
    for (const link of links) expect(existsSync(join(dirname(out), decodeURIComponent(link)))).toBe(true);
    // A run directory names its manifest too.
    const byDir = await runCli(["report", runDir(w, runId), "--out", join(w, "d.html")], { cwd: w });
    expect(byDir.code).toBe(0);
  });

  test("the run's facts: metrics, notifications (delivered and failed), instruction sources", async () => {
    const w = workspace();
    writeFileSync(join(w, "AGENTS.md"), "# Agents\nBe brief.\n");
    const r = await runCli(["start", "simple", "--report", "--notify", "cmd:/bin/true", "--notify", `cmd:${join(w, "missing-hook")}`], { cwd: w });
    expect(r.code).toBe(0);
    const html = readFileSync(join(runDir(w, runIdOf(r.stdout)), "report.html"), "utf8");
    expect(html).toContain("<dt>Command latency p50</dt>");
    expect(html).toMatch(/<tr><td class="mono">cmd:\/bin\/true<\/td><td><span class="badge s-succeeded">delivered<\/span><\/td><\/tr>/);
    expect(html).toContain(`<td class="mono">cmd:${join(w, "missing-hook")}</td><td><span class="badge s-failed">failed</span>`);
    expect(html).toMatch(/<tr><td class="mono">AGENTS\.md<\/td><td>\d+<\/td><\/tr>/);
  });

  test("an active run: its running stage is a bar up to now and the page says it is a snapshot", async () => {
    const w = workspace();
    const proc = spawnCli(["start", "slow"], { cwd: w, env: { NAP: "30" } });
    try {
      const manifest = await waitFor(() => {
        const ids = existsSync(join(w, ".runs/t1/cli")) ? readdirSync(join(w, ".runs/t1/cli")) : [];
        if (ids.length === 0) return null;
        // The run directory exists a moment before its first manifest is written (ManifestStore.create).
        const path = join(runDir(w, ids[0] as string), "manifest.json");
        if (!existsSync(path)) return null;
        const m = JSON.parse(readFileSync(path, "utf8"));
        return m.commands[0].status === "running" ? m : null;
      });
      const r = await runCli(["report", manifest.run_id], { cwd: w });
      expect(r.code).toBe(0);
      const html = readFileSync(join(runDir(w, manifest.run_id), "report.html"), "utf8");
      expect(html).toContain("This run was still active when the report was made");
      expect(html).toMatch(/<a class="bar s-running" [^>]*data-kind="command"/);
      expect(html).toContain('<span class="badge s-in_progress" id="run-status">in_progress</span>');
    } finally {
      proc.proc.kill("SIGTERM");
      await proc.proc.exited;
    }
  });

  test("bad input: one stderr line, exit 2 (usage) or 1 (unreadable manifest, unwritable page), nothing half-written", async () => {
    const w = workspace();
    const none = await runCli(["report"], { cwd: w });
    expect([none.code, none.stderr]).toEqual([2, "report requires a run id or a manifest path.\n"]);
    const unknown = await runCli(["report", "2025-11-04T02-45-12-345Z-abcdef01"], { cwd: w });
    expect([unknown.code, unknown.stderr]).toEqual([2, `Run '2025-11-04T02-45-12-345Z-abcdef01' not found under ${join(w, ".runs")}.\n`]);
    const missing = await runCli(["report", "no/such/manifest.json"], { cwd: w });
    expect([missing.code, missing.stderr]).toEqual([2, "Invalid value for report: no/such/manifest.json (not a run id, and no such file or directory).\n"]);
    writeFileSync(join(w, "broken.json"), "{");
    const broken = await runCli(["report", "broken.json"], { cwd: w });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toStartWith(`Invalid manifest ${join(w, "broken.json")}: `);
    expect(broken.stderr.split("\n").length).toBe(2);
    const option = await runCli(["report", "x", "--bogus"], { cwd: w });
    expect([option.code, option.stderr]).toEqual([2, "Unknown report option: --bogus\n"]);

    const run = await runCli(["start", "simple"], { cwd: w });
    const runId = runIdOf(run.stdout);
    writeFileSync(join(w, "a-file"), "");
    const unwritable = await runCli(["report", runId, "--out", join(w, "a-file", "r.html")], { cwd: w });
    expect(unwritable.code).toBe(1);
    expect(unwritable.stderr).toStartWith(`Cannot write report ${join(w, "a-file", "r.html")}: `);
    expect(unwritable.stdout).toBe("");
    // The atomic write leaves no temporary file behind when the rename fails.
    mkdirSync(join(w, "taken.html"));
    const onDir = await runCli(["report", runId, "--out", join(w, "taken.html")], { cwd: w });
    expect(onDir.code).toBe(1);
    expect(readdirSync(w).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  test("--open hands the page to $BROWSER (%s replaced) and returns; an opener that cannot start is exit 1", async () => {
    const w = workspace();
    const runId = runIdOf((await runCli(["start", "simple"], { cwd: w })).stdout);
    const opener = join(w, "browser.sh");
    writeFileSync(opener, `#!/bin/sh\nprintf '%s\\n' "$@" > "${join(w, "opened.txt")}"\n`);
    chmodSync(opener, 0o755);
    const r = await runCli(["report", runId, "--open"], { cwd: w, env: { BROWSER: `${opener} --new-window %s` } });
    expect(r.code).toBe(0);
    const args = await waitFor(() => (existsSync(join(w, "opened.txt")) ? readFileSync(join(w, "opened.txt"), "utf8") : null));
    expect(args).toBe(`--new-window\n${join(runDir(w, runId), "report.html")}\n`);
    const bad = await runCli(["report", runId, "--open"], { cwd: w, env: { BROWSER: join(w, "no-such-browser") } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`Cannot open ${join(runDir(w, runId), "report.html")} with ${join(w, "no-such-browser")}: no such program.\n`);
  });
});

describe("--report and config report", () => {
  test("exec --report: the page is written, stdout stays the JSONL stream; config report: true does it without the flag, --report=false not", async () => {
    const w = workspace({});
    const r = await runCli(["exec", "--report", "--", "sh", "-c", "echo hello; exit 3"], { cwd: w });
    expect(r.code).toBe(3);
    const events = r.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const summary = events.at(-1) as Json;
    expect(summary.type).toBe("run:summary");
    const dir = join(w, dirname(summary.payload.run.manifest));
    const html = readFileSync(join(dir, "report.html"), "utf8");
    expect(html).toContain("hello\n</pre>");
    expect(html).toContain('data-status="failed"');
    const manifest = readValidManifest(join(dir, "manifest.json")) as Json;
    expect(manifest.toolRuns[0].sandboxBackend).toBeNull();
    expect(html).toContain('<span class="mono">unsandboxed</span> · backend <span class="mono">none</span> · no sandbox asked for');

    writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify({ report: true }));
    const byConfig = await runCli(["exec", "--json", "compact", "--", "true"], { cwd: w });
    expect(byConfig.code).toBe(0);
    expect(existsSync(join(w, dirname(JSON.parse(byConfig.stdout).payload.run.manifest), "report.html"))).toBe(true);
    const off = await runCli(["exec", "--report=false", "--json", "compact", "--", "true"], { cwd: w });
    expect(existsSync(join(w, dirname(JSON.parse(off.stdout).payload.run.manifest), "report.html"))).toBe(false);
    const invalid = await runCli(["exec", "--json", "--", "true"], { cwd: workspace({ report: "yes" }) });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain("/report: expected a boolean");
  });

  test("exec in a terminal (interactive view) says where the report went, after its trailer", () => {
    const w = workspace({});
    const r = spawnSync("script", ["-qec", `${CLI} exec --report -- echo hi`, "/dev/null"], {
      cwd: w,
      env: { ...process.env, MCP_RUNNER_TASK_ID: "t1", TERM: "xterm" },
      encoding: "utf8",
      timeout: 30_000,
    });
    const out = r.stdout.replaceAll("\r\n", "\n");
    const line = /\[Codex-Orchestrator\] Report: (\.runs\/t1\/cli\/[^/]+\/report\.html)\n/.exec(out);
    expect(line).not.toBeNull();
    expect(existsSync(join(w, (line as RegExpExecArray)[1] as string))).toBe(true);
    expect(out.indexOf("hi")).toBeLessThan(out.indexOf("Report:"));
  });

  test("start --format json names the report; resume --report shows the earlier execution of the rerun stage", async () => {
    const w = workspace();
    const json = await runCli(["start", "simple", "--format", "json", "--report"], { cwd: w });
    const doc = JSON.parse(json.stdout);
    expect(Object.keys(doc)).toEqual(["run_id", "status", "artifact_root", "manifest", "log_path", "report"]);
    expect(doc.report).toBe(`${doc.artifact_root}/report.html`);
    expect(existsSync(join(w, doc.report))).toBe(true);

    writeFileSync(join(w, "fail.flag"), "");
    const failed = await runCli(["start", "failable"], { cwd: w });
    expect(failed.code).toBe(1);
    const runId = runIdOf(failed.stdout);
    expect(existsSync(join(runDir(w, runId), "report.html"))).toBe(false);
    const resumed = await runCli(["resume", runId, "--report"], { cwd: w });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`Report: .runs/t1/cli/${runId}/report.html\n`);
    const html = readFileSync(join(runDir(w, runId), "report.html"), "utf8");
    expect(html.match(/data-kind="earlier-execution"/g)?.length).toBe(1);
    expect(html).toContain("The stage ran 2 times (resumed)");
  });

  test("a page that cannot be written: one stderr line, the run stays recorded as it ended, exit 1 instead of 0", async () => {
    const w = workspace({
      pipelines: [{ id: "p", title: "P", stages: [{ kind: "command", id: "block", title: "block", command: 'mkdir "$(ls -d .runs/t1/cli/*/ | tail -1)report.html"' }] }],
    });
    const r = await runCli(["start", "p", "--report"], { cwd: w });
    const runId = runIdOf(r.stdout);
    expect(r.code).toBe(1);
    expect(r.stderr).toStartWith(`Cannot write report ${join(runDir(w, runId), "report.html")}: `);
    expect(r.stderr.split("\n").length).toBe(2);
    expect(r.stdout).toContain("Status: succeeded\n");
    expect(r.stdout).not.toContain("Report:");
    expect((readValidManifest(join(runDir(w, runId), "manifest.json")) as Json).status).toBe("succeeded");
  });

  test("under GitHub Actions: the step summary lists the slowest stages and links the report; outputs name it", async () => {
    const w = workspace({
      pipelines: [
        {
          id: "ci",
          title: "CI",
          stages: [
            { kind: "command", id: "quick", title: "quick", command: "true" },
            { kind: "command", id: "slow", title: "slow", command: "sleep 0.4" },
            { kind: "command", id: "mid", title: "mid", command: "sleep 0.2" },
          ],
        },
      ],
    });
    const output = join(w, "out.txt");
    const summary = join(w, "summary.md");
    const env = { GITHUB_ACTIONS: "true", GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary, GITHUB_SERVER_URL: "https://github.com", GITHUB_REPOSITORY: "acme/app", GITHUB_RUN_ID: "42" };
    const r = await runCli(["start", "ci", "--report"], { cwd: w, env });
    expect(r.code).toBe(0);
    const runId = runIdOf(r.stdout);
    const report = join(runDir(w, runId), "report.html");
    expect(readFileSync(output, "utf8")).toContain(`report=${report}\n`);
    const md = readFileSync(summary, "utf8");
    const slowest = md.slice(md.indexOf("#### Slowest stages"));
    const rows = slowest.split("\n").filter((l) => /^\| \d/.test(l));
    expect(rows.map((l) => l.split("|")[2]?.trim())).toEqual(["slow", "mid", "quick"]);
    expect(md).toContain(`Report: \`${report}\` — [open it from the run's artifacts](https://github.com/acme/app/actions/runs/42#artifacts)`);
  });
});

describe("status in a terminal: the timeline in text", () => {
  function statusInPty(w: string, runId: string, env: Record<string, string> = {}): string {
    const r = spawnSync("script", ["-qec", `${CLI} status ${runId}`, "/dev/null"], {
      cwd: w,
      env: { ...process.env, MCP_RUNNER_TASK_ID: "t1", TERM: "xterm", COLUMNS: "100", ...env },
      encoding: "utf8",
      timeout: 30_000,
    });
    return r.stdout.replaceAll("\r\n", "\n");
  }

  test("one line per stage (child stages indented) with a Unicode bar, duration and status; colour unless NO_COLOR; none when piped", async () => {
    const w = workspace({
      pipelines: [
        { id: "p", title: "P", stages: [
          { kind: "command", id: "a", title: "first", command: "sleep 0.3" },
          { kind: "subpipeline", id: "sub", title: "nested", pipeline: "c" },
          { kind: "command", id: "b", title: "breaks", command: "exit 2" },
        ] },
        { id: "c", title: "C", stages: [{ kind: "command", id: "inner", title: "inner", command: "sleep 0.1" }] },
      ],
    });
    const runId = runIdOf((await runCli(["start", "p"], { cwd: w })).stdout);
    const colored = statusInPty(w, runId);
    const lines = colored.split("\n");
    const at = lines.findIndex((l) => l.startsWith("Timeline"));
    expect(at).toBeGreaterThan(0);
    const plain = (l: string) => l.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
    const timeline = lines.slice(at, at + 5).map(plain);
    expect(timeline[0]).toMatch(/^Timeline +0─+\d/);
    expect(timeline[1]).toMatch(/^ {3}1 first +█+[▏▎▍▌▋▊▉]? +\d+ ms ✔ succeeded$/);
    expect(timeline[2]).toMatch(/^ {3}2 nested +[█▏▎▍▌▋▊▉]+ +\d+ ms ✔ succeeded$/);
    expect(timeline[3]).toMatch(/^ {5}1 inner +[█▏▎▍▌▋▊▉]+ +\d+ ms ✔ succeeded$/);
    expect(timeline[4]).toMatch(/^ {3}3 breaks +[█▏▎▍▌▋▊▉]+ +\d+ ms ✖ failed$/);
    // The first stage's bar starts at the axis start, the last one's after the others.
    const barStart = (l: string) => l.search(/[█▏▎▍▌▋▊▉]/);
    expect(barStart(timeline[4] as string)).toBeGreaterThan(barStart(timeline[3] as string));
    expect(barStart(timeline[3] as string)).toBeGreaterThan(barStart(timeline[1] as string));
    expect(colored).toContain("\x1b[31m");
    const noColor = statusInPty(w, runId, { NO_COLOR: "1" });
    expect(noColor).toContain("Timeline");
    expect(noColor).not.toContain("\x1b[");
    const piped = await runCli(["status", runId], { cwd: w });
    expect(piped.stdout).not.toContain("Timeline");
  });
});
