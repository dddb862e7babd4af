import { defineCommand } from "../define-command.ts";
import { UsageError } from "../../core/errors.ts";
import { validateTaskId } from "../../core/ids.ts";
import { cancelRun } from "../../pipeline/cancel-run.ts";
import { resolveStoreRoots } from "../../run/paths.ts";
import { parseStrict, stringOption } from "../args.ts";
import { stdoutStream } from "../output-stream.ts";

const args = {
  "run-id": { type: "positional", required: false, description: "run id (or --run)" },
  run: { type: "string", description: "run id", valueHint: "run-id" },
  task: { type: "string", description: "look only in this task", valueHint: "id" },
} as const;

/** `cancel [--run] <run-id>` (SPEC §5.8): SIGTERM to the process running the run; waits for it to be recorded. */
export default defineCommand({
  meta: {
    name: "cancel",
    description: "Cancel an active run (as SIGTERM to the process running it). Exit 2 unknown run, 1 not active.",
  },
  args,
  async run({ rawArgs }) {
    const parsed = parseStrict("cancel", args, rawArgs);
    const runId = stringOption(parsed, "run") ?? parsed.positionals[0];
    if (runId === undefined) throw new UsageError("cancel requires --run <run-id>.");
    const taskOption = stringOption(parsed, "task");
    const task = taskOption === undefined ? undefined : validateTaskId(taskOption, "--task");
    const roots = resolveStoreRoots({ env: process.env, cwd: process.cwd() });
    const outcome = await cancelRun(roots, runId, { task, env: process.env, warn: (line) => process.stderr.write(`${line}\n`) });
    const status = outcome.abandoned
      ? `${outcome.status} (its process was gone; the record is closed)`
      : outcome.ended
        ? outcome.status
        : `cancel requested (pid ${outcome.pid}; the run has not finished yet)`;
    await stdoutStream.write(`Run cancelled: ${outcome.runId}\nStatus: ${status}\n`);
  },
});
