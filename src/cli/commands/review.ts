import type { ArgsDef } from "citty";
import { defineCommand } from "../define-command.ts";
import { ExitSignal, RunFailedError, UsageError, errorMessage } from "../../core/errors.ts";
import { runReview } from "../../guardrails/review.ts";
import { parseStrict, stringOption } from "../args.ts";

const args = {
  manifest: { type: "string", description: "Manifest to review (relative to the cwd); default: the newest run.", valueHint: "path" },
  task: { type: "string", description: "Only look for the newest run of this task.", valueHint: "id" },
} satisfies ArgsDef;

const meta = {
  name: "review",
  description: "Hands a run manifest to `codex review`, else prints its summary (and asks for an outcome on a terminal).",
};

export default defineCommand({
  meta,
  args,
  async run({ rawArgs }) {
    const parsed = parseStrict("review", args, rawArgs);
    const manifest = stringOption(parsed, "manifest");
    const task = stringOption(parsed, "task");
    try {
      await runReview({ ...(manifest === undefined ? {} : { manifest }), ...(task === undefined ? {} : { task }) });
    } catch (error) {
      if (error instanceof UsageError || error instanceof ExitSignal) throw error;
      throw new RunFailedError(`[run-review] failed: ${errorMessage(error)}`, { cause: error });
    }
  },
});
