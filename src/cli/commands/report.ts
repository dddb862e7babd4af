import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineCommand } from "../define-command.ts";
import { UsageError } from "../../core/errors.ts";
import { isRunId, validateTaskId } from "../../core/ids.ts";
import { configureRedaction } from "../../core/redact.ts";
import { loadConfig } from "../../pipeline/config-loader.ts";
import { stageEnvs } from "../../pipeline/invocation.ts";
import { defaultReportPath, writeRunReport } from "../../report/write-report.ts";
import { type StoreRoots, rel, resolveStoreRoots } from "../../run/paths.ts";
import { findRun } from "../../run/run-lookup.ts";
import { booleanOption, parseStrict, stringOption } from "../args.ts";
import { openInBrowser } from "../open-in-browser.ts";
import { stdoutStream } from "../output-stream.ts";

const args = {
  run: { type: "positional", required: false, description: "run id, or the path of a manifest.json (or of its run directory)" },
  task: { type: "string", description: "look only in this task (with a run id)", valueHint: "id" },
  out: { type: "string", description: "where to write the page (default <run dir>/report.html)", valueHint: "file.html" },
  open: { type: "boolean", description: "open the report in the browser ($BROWSER, else xdg-open / open / start)" },
} as const;

/** The manifest a `report` argument names: a run id (looked up as `status` does), a manifest file, or a run directory. */
export async function manifestOfArgument(roots: StoreRoots, given: string, task: string | undefined): Promise<string> {
  if (isRunId(given)) return (await findRun(roots, given, { task, env: process.env })).files.manifest;
  const path = resolve(given);
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch {
    throw new UsageError(`Invalid value for report: ${given} (not a run id, and no such file or directory).`);
  }
  if (stats.isDirectory()) {
    const manifest = join(path, "manifest.json");
    try {
      statSync(manifest);
    } catch {
      throw new UsageError(`Invalid value for report: ${given} (a directory without manifest.json).`);
    }
    return manifest;
  }
  return path;
}

/**
 * Secrets are redacted on the page as in the logs: the values of this environment's secret variables and of the
 * config's stage `env` maps. The logs were redacted when written; this catches what was recorded before a secret was
 * known. A config that does not load only loses the second part (the report of an old run must not depend on it).
 */
function configureReportRedaction(roots: StoreRoots): void {
  let envs: Record<string, string>[] = [];
  try {
    const config = loadConfig(roots.repo);
    if (config !== null) envs = stageEnvs(config.config);
  } catch {
    envs = [];
  }
  configureRedaction(process.env, ...envs);
}

/** `report <run-id | manifest> [--out file.html] [--open]` (issue 20): the run as one self-contained HTML page. */
export default defineCommand({
  meta: { name: "report", description: "Write a run's report: one self-contained HTML page with its timeline, commands and output tails." },
  args,
  async run({ rawArgs }) {
    const parsed = parseStrict("report", args, rawArgs);
    const given = parsed.positionals[0];
    if (given === undefined) throw new UsageError("report requires a run id or a manifest path.");
    const taskOption = stringOption(parsed, "task");
    const task = taskOption === undefined ? undefined : validateTaskId(taskOption, "--task");
    const roots = resolveStoreRoots({ env: process.env, cwd: process.cwd() });
    const manifest = await manifestOfArgument(roots, given, task);
    configureReportRedaction(roots);
    const out = stringOption(parsed, "out");
    const target = out === undefined ? defaultReportPath(resolve(manifest, "..")) : resolve(out);
    const { path } = await writeRunReport(manifest, target);
    await stdoutStream.write(`Report: ${rel(roots, path)}\n`);
    await stdoutStream.flush();
    if (booleanOption(parsed, "open")) await openInBrowser(path);
  },
});
