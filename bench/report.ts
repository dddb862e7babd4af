/**
 * The run report of a large run (issue 20): a real 500-stage run (`start` through the compiled CLI, each stage printing
 * 4 KB, one in 50 failing with allowFailure), its `report` written by the CLI, then opened in headless Chromium over
 * CDP: the time from navigation to the first frame painted after the `load` event, against a baseline page of the same
 * size (the same text in one `<pre>`) and an empty page (the browser's own cost), medians of interleaved loads. Also the CLI's time to write the report, against
 * `status --format json` of the same run (which reads the manifest only). Target: the page in ≤ 1 s.
 *
 *   bun run bench/report.ts [loads]      (needs chromium on PATH; binary as for every benchmark)
 */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { launchChromium } from "../test/helpers/chromium.ts";
import { findProgram } from "../test/helpers/needs-program.ts";
import { benchEnv, binaryPath, ensureBinary, interleaved, median, round, scratch, timedRun, wallMedian } from "./lib.ts";

export const STAGES = 500;
export const PAGE_TARGET_MS = 1000;

export type ReportBench =
  | { skipped: string }
  | {
      stages: number;
      loads: number;
      reportBytes: number;
      pageMs: number;
      baselinePageMs: number;
      ratio: number;
      emptyPageMs: number;
      writeMs: number;
      statusMs: number;
      bars: number;
      browser: string;
      targetMs: number;
    };

/** Milliseconds from navigation start to the first frame after `load` (a double rAF: layout and paint are done). */
const TIME_TO_FRAME = `new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now()))))`;

export async function benchReport(cli: string, loads = 9): Promise<ReportBench> {
  const chromium = findProgram("chromium");
  if (chromium === null) return { skipped: "chromium not installed (apt-get install chromium)" };
  const s = scratch("co-bench-report-");
  try {
    const stages = Array.from({ length: STAGES }, (_, i) => ({
      kind: "command",
      id: `s${i + 1}`,
      title: `stage ${i + 1}`,
      command: i % 50 === 49 ? "head -c 4000 /dev/zero | tr '\\0' x; exit 1" : "head -c 4000 /dev/zero | tr '\\0' y",
      allowFailure: true,
    }));
    writeFileSync(join(s.dir, "codex.orchestrator.json"), JSON.stringify({ pipelines: [{ id: "big", title: "Big", stages }] }));
    const opts = { cwd: s.dir, env: benchEnv(s.home) };
    const run = Bun.spawnSync([cli, "start", "big"], { ...opts, stdout: "pipe", stderr: "pipe" });
    const runId = /Run started: (\S+)/.exec(run.stdout.toString())?.[1];
    if (runId === undefined) throw new Error(`the 500-stage run did not start: ${run.stderr.toString()}`);
    const samples = await interleaved(
      {
        status: () => timedRun([cli, "status", runId, "--format", "json"], opts),
        write: () => timedRun([cli, "report", runId], opts),
      },
      Math.max(3, Math.ceil(loads / 2)),
      1,
    );
    const page = join(s.dir, ".runs/bench/cli", runId, "report.html");
    const html = readFileSync(page, "utf8");
    const reportBytes = statSync(page).size;
    // The baseline: the page's text, as much of it, in one <pre> (no layout work beyond text).
    const text = html.replace(/<[^>]*>/g, "").replace(/[<>&]/g, " ");
    const baseline = join(s.dir, "baseline.html");
    writeFileSync(baseline, `<!doctype html><meta charset="utf-8"><pre>${text}${" ".repeat(Math.max(0, reportBytes - text.length - 60))}</pre>`);
    // And the browser's own cost: a page with nothing on it.
    const empty = join(s.dir, "empty.html");
    writeFileSync(empty, `<!doctype html><meta charset="utf-8"><p>.</p>`);
    const browser = await launchChromium(chromium);
    try {
      const timeLoad = async (file: string): Promise<{ ms: number; bars: number }> => {
        const tab = await browser.newPage({ width: 1280, height: 900 });
        await tab.navigate(pathToFileURL(file).href);
        const ms = await tab.evaluate<number>(TIME_TO_FRAME);
        const bars = await tab.evaluate<number>(`document.querySelectorAll('.bar[data-kind="command"]').length`);
        await tab.send("Page.close").catch(() => ({}));
        return { ms, bars };
      };
      await timeLoad(page);
      await timeLoad(baseline);
      await timeLoad(empty);
      const reportTimes: number[] = [];
      const baselineTimes: number[] = [];
      const emptyTimes: number[] = [];
      let bars = 0;
      for (let i = 0; i < loads; i++) {
        const r = await timeLoad(page);
        reportTimes.push(r.ms);
        bars = r.bars;
        baselineTimes.push((await timeLoad(baseline)).ms);
        emptyTimes.push((await timeLoad(empty)).ms);
      }
      const pageMs = median(reportTimes);
      const baselinePageMs = median(baselineTimes);
      return {
        stages: STAGES,
        loads,
        reportBytes,
        pageMs: round(pageMs, 1),
        baselinePageMs: round(baselinePageMs, 1),
        ratio: round(pageMs / baselinePageMs),
        emptyPageMs: round(median(emptyTimes), 1),
        writeMs: round(wallMedian(samples.write), 1),
        statusMs: round(wallMedian(samples.status), 1),
        bars,
        browser: browser.version,
        targetMs: PAGE_TARGET_MS,
      };
    } finally {
      await browser.close();
    }
  } finally {
    s.dispose();
  }
}

export function formatReport(r: ReportBench): string {
  if ("skipped" in r) return `report: skipped (${r.skipped})`;
  return [
    `report: a ${r.stages}-stage run, ${(r.reportBytes / 1024 / 1024).toFixed(2)} MB page, ${r.bars} bars, ${r.browser}, medians of ${r.loads} interleaved loads`,
    `  page to first frame after load        ${r.pageMs.toFixed(1)} ms (target ≤ ${r.targetMs} ms: ${r.pageMs <= r.targetMs ? "met" : "NOT met"})`,
    `  plain page of the same size           ${r.baselinePageMs.toFixed(1)} ms (ratio ${r.ratio.toFixed(2)})`,
    `  empty page                            ${r.emptyPageMs.toFixed(1)} ms`,
    `  report written by the CLI             ${r.writeMs.toFixed(1)} ms (status --format json ${r.statusMs.toFixed(1)} ms)`,
  ].join("\n");
}

if (import.meta.main) {
  const cli = binaryPath();
  await ensureBinary(cli);
  const r = await benchReport(cli, Number(process.argv[2] ?? 9));
  console.log(formatReport(r));
  console.log(JSON.stringify({ bench: "report", ...r }));
}
