import { defineCommand } from "citty";
import { ExitSignal } from "../../core/errors.ts";
import { LOG_PREFIX } from "../../core/log-prefix.ts";
import { configureRedaction } from "../../core/redact.ts";
import { mergeRuns } from "../../pipeline/merge-runs.ts";
import { reportToGithubActions } from "../github-actions.ts";
import { formatOption, parseStrict, stringOption } from "../args.ts";
import { stdoutStream } from "../output-stream.ts";

const args = {
  runs: { type: "positional", required: true, description: "run directories to merge (each holding a manifest.json)" },
  task: { type: "string", description: "task of the merged run (default: the first run's)", valueHint: "id" },
  format: { type: "string", description: "text (default) or json", valueHint: "json|text" },
} as const;

/** `merge <run dir>…` (issue 18): one run record from the runs of a fanned-out pipeline; exit 0 when it succeeded, else 1. */
export default defineCommand({
  meta: {
    name: "merge",
    description: "Merge the run directories of one pipeline's jobs into one run record.",
    usage: "Usage: codex-orchestrator merge <run dir>... [--task <id>] [--format json|text]",
  } as never,
  args,
  async run({ rawArgs }) {
    // Every run directory is a positional: the strict parser takes one per declared positional, so they are split off.
    const dirs = rawArgs.filter((a, i) => !a.startsWith("--") && !(i > 0 && ["--task", "--format"].includes(rawArgs[i - 1] as string)));
    const parsed = parseStrict("merge", args, rawArgs.filter((a) => !dirs.includes(a)));
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
