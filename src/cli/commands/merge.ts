import { defineCommand } from "../define-command.ts";
import { ExitSignal } from "../../core/errors.ts";
import { LOG_PREFIX } from "../../core/log-prefix.ts";
import { configureRedaction } from "../../core/redact.ts";
import { mergeRuns } from "../../pipeline/merge-runs.ts";
import { reportToGithubActions } from "../github-actions.ts";
import { formatOption, parseStrict, stringOption } from "../args.ts";
import { stdoutStream } from "../output-stream.ts";

const args = {
  runs: { type: "positional", required: false, description: "run directories to merge (each holding a manifest.json)" },
  task: { type: "string", description: "task of the merged run (default: the first run's)", valueHint: "id" },
  format: { type: "string", description: "text (default) or json", valueHint: "json|text" },
} as const;

/** Options that take a value (`--task x` as well as `--task=x`). */
const VALUE_OPTIONS = new Set(["--task", "--format"]);

/**
 * The run directories (any number of positionals) apart from the options, which the strict parser then checks: it
 * takes one argument per declared positional.
 */
function splitRunDirs(rawArgs: readonly string[]): { dirs: string[]; optionArgs: string[] } {
  const dirs: string[] = [];
  const optionArgs: string[] = [];
  let optionsEnded = false;
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i] as string;
    if (optionsEnded || !arg.startsWith("-")) {
      dirs.push(arg);
    } else if (arg === "--") {
      optionsEnded = true;
    } else {
      optionArgs.push(arg);
      const next = rawArgs[i + 1];
      if (VALUE_OPTIONS.has(arg) && next !== undefined && !next.startsWith("--")) {
        optionArgs.push(next);
        i++;
      }
    }
  }
  return { dirs, optionArgs };
}

/** `merge <run dir>…` (issue 18): one run record from the runs of a fanned-out pipeline; exit 0 when it succeeded, else 1. */
export default defineCommand({
  meta: {
    name: "merge",
    description: "Merge the run directories of one pipeline's jobs into one run record.",
    usage: "Usage: codex-orchestrator merge <run dir>... [--task <id>] [--format json|text]",
  } as never,
  args,
  async run({ rawArgs }) {
    const { dirs, optionArgs } = splitRunDirs(rawArgs);
    const parsed = parseStrict("merge", args, optionArgs);
    const format = formatOption(parsed);
    configureRedaction(process.env);
    const result = await mergeRuns({
      env: process.env,
      cwd: process.cwd(),
      dirs,
      task: stringOption(parsed, "task"),
      warn: (line) => process.stderr.write(`${LOG_PREFIX}${line}\n`),
    });
    const m = result.manifest;
    const manifest = `${m.artifact_root}/manifest.json`;
    const text =
      format === "json"
        ? `${JSON.stringify({ run_id: m.run_id, status: m.status, artifact_root: m.artifact_root, manifest, log_path: m.log_path, merged_from: m.merged_from }, null, 2)}\n`
        : `${[`Run merged: ${m.run_id}`, `Status: ${m.status}`, `Stages: ${m.commands.map((c) => `${c.id} ${c.status}`).join(", ")}`, `Manifest: ${manifest}`].join("\n")}\n`;
    await stdoutStream.write(text);
    await stdoutStream.flush();
    reportToGithubActions({ manifest: m, manifestPath: result.manifestPath, exitCode: result.exitCode }, { machineOutput: format !== "text" });
    throw new ExitSignal(result.exitCode);
  },
});
