// The run report (issue 20) as people see it: written by the compiled binary, opened in a real headless Chromium
// (Debian's `chromium`, driven over CDP), checked in its DOM — bars on the time axis, failed stages, hostile output
// shown as text and never run, secrets absent — and photographed.
import { afterAll, beforeAll, expect } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, decodePng, launchChromium, type Page } from "../helpers/chromium.ts";
import { REPO_ROOT, runCli, scratchDir } from "../helpers/cli.ts";
import { needsProgram } from "../helpers/needs-program.ts";
import { readValidManifest } from "../helpers/runs.ts";

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON under test is walked freely
type Json = Record<string, any>;

const chromium = needsProgram("chromium", "apt-get install chromium");
const bwrap = needsProgram("bwrap", "apt-get install bubblewrap");

/** Where the screenshot of the test run goes (docs/images/report.png is one, copied by hand). */
const SCREENSHOT = process.env.CODEX_ORCHESTRATOR_REPORT_SCREENSHOT ?? join(REPO_ROOT, ".test-results", "report.png");

const DEPLOY_TOKEN = "dpl-7f3a9c2e-secret-value";
const API_KEY = "key-51b6d0aa-stage-secret";
/** Output that would run script, close the stylesheet, or add markup if it reached the page as HTML. */
const HOSTILE = `<script>window.__pwned=1;document.title="pwned"</script></style><b id="injected">bold?</b><img src=x onerror="window.__pwned=2">`;

function releaseConfig(): Json {
  const hostile = HOSTILE.replaceAll("'", "'\\''");
  return {
    pipelines: [
      {
        id: "release",
        title: "Release",
        stages: [
          { kind: "command", id: "install", title: "Install dependencies", command: "sleep 0.3; echo 'added 312 packages in 0.3s'" },
          { kind: "command", id: "build", title: "Build", command: "printf '\\033[32m✓\\033[0m compiled 48 modules\\n'; sleep 0.5; echo 'bundle 1.2 MB' >&2" },
          { kind: "subpipeline", id: "checks", title: "Checks", pipeline: "checks" },
          {
            kind: "command",
            id: "notes",
            title: "Release notes",
            command: `printf '%s\\n' '${hostile}'; printf '\\033[31mred\\033[0m \\033]0;window title\\007bad bytes: \\377\\376 end\\n'; echo "token=$DEPLOY_TOKEN"`,
          },
          {
            kind: "command",
            id: "deploy",
            title: "Deploy",
            command: `sleep 0.3; echo "deploying with key $API_KEY"; echo 'error: connection refused (api.example.com:443)' >&2; exit 7`,
            env: { API_KEY },
          },
        ],
      },
      {
        id: "checks",
        title: "Checks",
        stages: [
          { kind: "command", id: "unit", title: "Unit tests", command: "sleep 0.4; echo '212 tests passed'" },
          { kind: "command", id: "lint", title: "Lint", command: "sleep 0.2; echo 'warning: 3 problems' >&2; exit 1", allowFailure: true },
        ],
      },
    ],
  };
}

type Bar = { key: string; kind: string; status: string; left: number; width: number; track: number; background: string };

/** Every bar of the timeline with its box relative to its track, and its computed colour. */
const BARS = `[...document.querySelectorAll('.bar[data-kind="command"], .bar[data-kind="subpipeline"]')].map((b) => {
  const r = b.getBoundingClientRect(), t = b.parentElement.getBoundingClientRect();
  return { key: b.dataset.key, kind: b.dataset.kind, status: b.dataset.status, left: r.left - t.left, width: r.width, track: t.width, background: getComputedStyle(b).backgroundColor };
})`;

/** `commands[]` of a run and of its child runs, keyed as the report keys them, each with its run's manifest. */
function expectedBars(manifestPath: string): { key: string; entry: Json }[] {
  const m = readValidManifest(manifestPath) as Json;
  const out: { key: string; entry: Json }[] = [];
  for (const entry of m.commands) {
    out.push({ key: `${m.run_id}/${entry.index}`, entry });
    if (entry.sub_run_id !== null) out.push(...expectedBars(join(dirname(dirname(manifestPath)), entry.sub_run_id, "manifest.json")));
  }
  return out;
}

chromium.describe("report in headless Chromium (issue 20)", () => {
  let browser: Browser;
  let w: string;
  let runId: string;
  let reportPath: string;
  let manifestPath: string;
  let html: string;

  beforeAll(async () => {
    browser = await launchChromium(chromium.path as string);
    w = scratchDir("co-report-");
    writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify(releaseConfig()));
    writeFileSync(join(w, "AGENTS.md"), "# Agents\nKeep the record honest.\n");
    const r = await runCli(["start", "release", "--report"], { cwd: w, env: { DEPLOY_TOKEN } });
    expect(r.code).toBe(1);
    runId = /Run started: (\S+)/.exec(r.stdout)?.[1] as string;
    expect(r.stdout).toContain(`Report: .runs/t1/cli/${runId}/report.html\n`);
    manifestPath = join(w, ".runs/t1/cli", runId, "manifest.json");
    reportPath = join(w, ".runs/t1/cli", runId, "report.html");
    html = readFileSync(reportPath, "utf8");
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  async function open(options: { javaScript?: boolean; width?: number; height?: number; hash?: string } = {}): Promise<Page> {
    const page = await browser.newPage({ width: options.width ?? 1280, height: options.height ?? 900, javaScript: options.javaScript ?? true });
    await page.navigate(pathToFileURL(reportPath).href + (options.hash ?? ""));
    return page;
  }

  chromium.test("one bar per command, at its start and with its duration on the run's time axis; failed stages marked", async () => {
    const page = await open();
    const bars = await page.evaluate<Bar[]>(BARS);
    const expected = expectedBars(manifestPath);
    // 5 stages (one a sub-pipeline) + the child run's 2: every one ran, so every one has exactly one bar.
    expect(expected.length).toBe(7);
    expect(bars.map((b) => b.key).sort()).toEqual(expected.map((e) => e.key).sort());
    const run = readValidManifest(manifestPath) as Json;
    const start = Date.parse(run.started_at);
    const span = Date.parse(run.completed_at) - start;
    for (const { key, entry } of expected) {
      const bar = bars.find((b) => b.key === key) as Bar;
      expect(bar.kind).toBe(entry.kind);
      expect(bar.status).toBe(entry.status);
      const left = ((Date.parse(entry.started_at) - start) / span) * bar.track;
      const width = Math.max(2, ((Date.parse(entry.completed_at) - Date.parse(entry.started_at)) / span) * bar.track);
      expect(Math.abs(bar.left - left)).toBeLessThan(1.5);
      expect(Math.abs(bar.width - width)).toBeLessThan(1.5);
    }
    // The bars follow each other in time: install before build, build before the checks, deploy last.
    const byId = (id: string) => bars.find((b) => b.key === `${runId}/${run.commands.findIndex((c: Json) => c.id === id) + 1}`) as Bar;
    expect(byId("install").left + byId("install").width).toBeLessThanOrEqual(byId("build").left + 1);
    expect(byId("deploy").left).toBeGreaterThan(byId("notes").left);

    // Failed: the deploy bar is red, its row and its details say so and its details are open; lint failed (allowed).
    const deploy = byId("deploy");
    expect(deploy.status).toBe("failed");
    expect(deploy.background).toBe("rgb(207, 34, 46)");
    const marks = await page.evaluate<Json>(`(() => {
      const row = document.querySelector('.row[data-key="${deploy.key}"]');
      const details = document.querySelector('details.cmd[data-key="${deploy.key}"]');
      const lint = [...document.querySelectorAll('.row.cmd-row')].find((r) => r.textContent.includes('Lint'));
      return { rowClass: row.className, mark: row.querySelector('.mark').getAttribute('aria-label'), open: details.open,
        badge: details.querySelector('summary .badge').textContent, stderr: details.querySelector('pre[data-stream="stderr"]').textContent,
        exit: details.textContent.includes('exit 7'), lintStatus: lint.dataset.status, lintMark: lint.querySelector('.mark').getAttribute('aria-label'),
        runStatus: document.getElementById('run-status').textContent, okOpen: document.querySelector('details.cmd[data-key="${byId("install").key}"]').open };
    })()`);
    expect(marks.rowClass).toContain("problem");
    expect(marks.mark).toBe("failed");
    expect(marks.open).toBe(true);
    expect(marks.badge).toBe("failed");
    expect(marks.stderr).toBe("error: connection refused (api.example.com:443)\n");
    expect(marks.exit).toBe(true);
    expect(marks.lintStatus).toBe("skipped");
    expect(marks.lintMark).toBe("failed (allowed)");
    expect(marks.runStatus).toBe("failed");
    expect(marks.okOpen).toBe(false);
    expect(page.errors).toEqual([]);
  });

  chromium.test("hostile output is text: no script runs, no markup is added, ANSI colours become styles, invalid UTF-8 shows U+FFFD", async () => {
    const page = await open();
    const run = readValidManifest(manifestPath) as Json;
    const key = `${runId}/${run.commands.findIndex((c: Json) => c.id === "notes") + 1}`;
    const seen = await page.evaluate<Json>(`(() => {
      const details = document.querySelector('details.cmd[data-key="${key}"]');
      details.open = true;
      const out = details.querySelector('pre[data-stream="stdout"]');
      return { pwned: window.__pwned ?? null, title: document.title, scripts: document.scripts.length, injected: document.getElementById('injected'),
        images: document.images.length, text: out.textContent, red: [...out.querySelectorAll('span.t1')].map((s) => s.textContent),
        redColor: getComputedStyle(out.querySelector('span.t1')).color, command: details.querySelector('pre.cmdline').textContent,
        styles: document.querySelectorAll('style').length, bodyText: document.body.innerText };
    })()`);
    expect(seen.pwned).toBeNull();
    expect(seen.title).toBe(`Release — failed — ${runId}`);
    expect(seen.scripts).toBe(1); // the page's own
    expect(seen.injected).toBeNull();
    expect(seen.images).toBe(0);
    expect(seen.styles).toBe(1);
    expect(seen.text).toContain(`${HOSTILE}\n`);
    // ESC [31m … ESC [0m became a red span; the OSC title sequence is gone; no raw escape character is left.
    expect(seen.red).toEqual(["red"]);
    expect(seen.redColor).toBe("rgb(192, 28, 40)");
    expect(seen.text).not.toContain("\x1b");
    expect(seen.text).not.toContain("window title");
    expect(seen.text).toContain("red bad bytes: \uFFFD\uFFFD end\n");
    expect(seen.command).toContain("<script>window.__pwned=1");
    // Secrets: redacted in the logs and on the page; the CLI's DEPLOY_TOKEN and the stage's API_KEY alike.
    expect(seen.text).toContain("token=***\n");
    expect(seen.bodyText).toContain("deploying with key ***");
    for (const secret of [DEPLOY_TOKEN, API_KEY]) {
      expect(seen.bodyText).not.toContain(secret);
      expect(html).not.toContain(secret);
    }
    expect(page.errors).toEqual([]);
  });

  chromium.test("self-contained: no network, one inline stylesheet and script under a CSP admitting only that script", async () => {
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*"(?:https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import|url\(/i);
    const csp = (/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? "").replaceAll("&#39;", "'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    // Relative links to the run's files resolve to files that exist.
    const page = await open();
    const links = await page.evaluate<string[]>(`[...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')).filter((h) => !h.startsWith('#'))`);
    expect(links).toContain("manifest.json");
    expect(links).toContain("runner.ndjson");
    expect(links).toContain("commands/05-deploy.ndjson");
    expect(links).toContain("errors/05-deploy.json");
    for (const link of links) {
      expect(link).not.toMatch(/^[a-z]+:/);
      readFileSync(join(dirname(reportPath), decodeURIComponent(link)));
    }
  });

  chromium.test("without script the page is complete: bars placed, details readable, the toolbar hidden", async () => {
    const page = await open({ javaScript: false });
    const state = await page.evaluate<Json>(`({ toolbar: getComputedStyle(document.getElementById('toolbar')).display,
      bars: document.querySelectorAll('.bar[data-kind="command"]').length, details: document.querySelectorAll('details.cmd').length })`);
    expect(state).toEqual({ toolbar: "none", bars: 6, details: 7 });
    const bars = await page.evaluate<Bar[]>(BARS);
    expect(bars.every((b) => b.width >= 2 && b.left >= 0 && b.left + b.width <= b.track + 0.5)).toBe(true);
  });

  chromium.test("with script: the toolbar filters to problems, expands everything, and a bar opens its details", async () => {
    const page = await open({ hash: "" });
    const result = await page.evaluate<Json>(`(async () => {
      const visible = () => [...document.querySelectorAll('.row.cmd-row')].filter((r) => getComputedStyle(r).display !== 'none').map((r) => r.dataset.status);
      const toolbar = getComputedStyle(document.getElementById('toolbar')).display;
      const all = visible();
      document.querySelector('button[data-action="problems"]').click();
      const problems = visible();
      document.querySelector('button[data-action="problems"]').click();
      document.querySelector('button[data-action="expand"]').click();
      const expanded = [...document.querySelectorAll('details.cmd')].every((d) => d.open);
      document.querySelector('button[data-action="collapse"]').click();
      const collapsed = [...document.querySelectorAll('details.cmd')].every((d) => !d.open);
      const bar = document.querySelectorAll('.bar[data-kind="command"]')[1];
      bar.click();
      await new Promise((r) => setTimeout(r, 0));
      const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
      return { toolbar, all, problems, expanded, collapsed, opened: target.open, key: target.dataset.key === bar.dataset.key };
    })()`);
    expect(result.toolbar).toBe("flex");
    expect(result.all.length).toBe(7);
    expect(result.problems.sort()).toEqual(["failed", "skipped"]);
    expect(result.expanded).toBe(true);
    expect(result.collapsed).toBe(true);
    expect(result.opened).toBe(true);
    expect(result.key).toBe(true);
    expect(page.errors).toEqual([]);
  });

  chromium.test("a screenshot of the report is produced: the timeline at the top, the failed bar red in the picture", async () => {
    const page = await open({ width: 1280, height: 860 });
    const deploy = await page.evaluate<Json>(`(() => { const b = [...document.querySelectorAll('.bar[data-status="failed"]')][0].getBoundingClientRect(); return { x: b.left + b.width / 2, y: b.top + b.height / 2 }; })()`);
    const png = await page.screenshot();
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    writeFileSync(SCREENSHOT, png);
    const image = await decodePng(png);
    expect([image.width, image.height]).toEqual([1280, 860]);
    const at = (x: number, y: number) => Array.from(image.rgba.subarray((Math.round(y) * image.width + Math.round(x)) * 4, (Math.round(y) * image.width + Math.round(x)) * 4 + 3));
    expect(at(deploy.x, deploy.y)).toEqual([207, 34, 46]);
  });
});

chromium.describe("report of a large run in headless Chromium", () => {
  chromium.test("500 commands: 500 bars in order, tails bounded", async () => {
    const w = scratchDir("co-report-500-");
    const stages = Array.from({ length: 500 }, (_, i) => ({
      kind: "command",
      id: `s${i + 1}`,
      title: `stage ${i + 1}`,
      // Each prints 20 KB: more than a tail keeps.
      command: i % 50 === 49 ? "head -c 20000 /dev/zero | tr '\\0' x; exit 1" : "head -c 20000 /dev/zero | tr '\\0' y",
      allowFailure: true,
    }));
    writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify({ report: true, pipelines: [{ id: "big", title: "Big", stages }] }));
    const r = await runCli(["start", "big"], { cwd: w, timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    const runId = /Run started: (\S+)/.exec(r.stdout)?.[1] as string;
    const path = join(w, ".runs/t1/cli", runId, "report.html");
    const html = readFileSync(path, "utf8");
    // 500 × 20 KB of output; the page keeps a bounded tail of each (2 MiB in all), not the 10 MB.
    expect(html.length).toBeLessThan(4 * 1024 * 1024);
    expect(html).toContain("earlier bytes in the log");
    const browser = await launchChromium(chromium.path as string);
    try {
      const page = await browser.newPage({ width: 1280, height: 900 });
      await page.navigate(pathToFileURL(path).href);
      const bars = await page.evaluate<{ left: number; status: string }[]>(
        `[...document.querySelectorAll('.bar[data-kind="command"]')].map((b) => ({ left: b.getBoundingClientRect().left, status: b.dataset.status }))`,
      );
      expect(bars.length).toBe(500);
      for (let i = 1; i < bars.length; i++) expect((bars[i] as { left: number }).left).toBeGreaterThanOrEqual((bars[i - 1] as { left: number }).left - 0.01);
      expect(bars.filter((b) => b.status === "skipped").length).toBe(10);
      expect(page.errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 180_000);
});

chromium.describe("retries in the report", () => {
  bwrap.test("a sandbox denial retried escalated: two attempts and the retry wait inside the stage's bar", async () => {
    const root = scratchDir("co-report-retry-");
    const w = join(root, "ws");
    mkdirSync(w);
    const outside = mkdtempSync("/var/tmp/co-report-escalate-");
    try {
      const env = { XDG_STATE_HOME: join(root, "state"), XDG_CONFIG_HOME: join(root, "config"), HOME: root, TMPDIR: "/tmp" };
      const config = {
        pipelines: [{ id: "p", title: "P", stages: [{ kind: "command", id: "write", title: "Write outside", command: `echo escaped > ${outside}/out.txt`, sandbox: "workspace-write" }] }],
      };
      writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify(config));
      // The bubblewrap backend's denial (its message names the read-only file system); Landlock's is tested elsewhere.
      const denied = await runCli(["start", "p", "--sandbox-backend", "bwrap"], { cwd: w, env });
      expect(denied.code).toBe(1);
      const key = /approvals grant ([0-9a-f]{16})/.exec(denied.stderr)?.[1];
      expect(key).toBeDefined();
      expect((await runCli(["approvals", "grant", key as string], { cwd: w, env })).code).toBe(0);
      const r = await runCli(["start", "p", "--report", "--sandbox-backend", "bwrap"], { cwd: w, env });
      expect(r.code).toBe(0);
      const runId = /Run started: (\S+)/.exec(r.stdout)?.[1] as string;
      const browser = await launchChromium(chromium.path as string);
      try {
        const page = await browser.newPage();
        await page.navigate(pathToFileURL(join(w, ".runs/t1/cli", runId, "report.html")).href);
        const seen = await page.evaluate<Json>(`(() => {
          const bar = document.querySelector('.bar[data-kind="command"]');
          const attempts = [...bar.querySelectorAll('.attempt')].map((a) => ({ attempt: a.dataset.attempt, cls: a.className, w: a.getBoundingClientRect().width }));
          const wait = bar.querySelector('.wait');
          const details = document.querySelector('details.cmd');
          return { attempts, wait: wait === null ? null : { after: wait.dataset.retryAfter, w: wait.getBoundingClientRect().width, title: wait.title },
            rows: [...details.querySelectorAll('table.attempts tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent)),
            facts: details.querySelector('dl.facts').textContent };
        })()`);
        expect(seen.attempts.map((a: Json) => [a.attempt, a.cls])).toEqual([
          ["1", "attempt a-failed"],
          ["2", "attempt a-last"],
        ]);
        expect(seen.wait.after).toBe("1");
        expect(seen.wait.w).toBeGreaterThan(0);
        expect(seen.wait.title).toContain("retry after 250 ms");
        expect(seen.rows.map((cells: string[]) => [cells[0], cells[3], cells[5]])).toEqual([
          ["1", "failed", "sandboxed"],
          ["2", "succeeded", "escalated"],
        ]);
        expect(seen.rows[0][6]).toContain("Read-only file system");
        expect(seen.facts).toContain("escalated · backend none (the retry ran unconfined) · workspace-write asked for");
        expect(seen.facts).toContain("cache · policy");
        expect(seen.facts).toContain("2 (1 retry)");
      } finally {
        await browser.close();
      }
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  }, 60_000);
});
