import { defineCommand } from "../define-command.ts";
import { loadConfig } from "../../pipeline/config-loader.ts";
import { describePlan, formatPlanText } from "../../pipeline/plan.ts";
import { resolvePipeline } from "../../pipeline/resolve.ts";
import { effectiveTaskId, resolveStoreRoots } from "../../run/paths.ts";
import { formatOption, parseStrict, stringOption } from "../args.ts";
import { stdoutStream } from "../output-stream.ts";

const args = {
  pipeline: { type: "positional", required: false, description: "pipeline id (default: defaultPipeline, else diagnostics)" },
  task: { type: "string", description: "task id override", valueHint: "id" },
  format: { type: "string", description: "json or text (default text)", valueHint: "json|text" },
} as const;

/** `plan [pipeline]` (SPEC §5.2): resolves like `start` and prints the stages; writes nothing. */
export default defineCommand({
  meta: { name: "plan", description: "Show the stages a pipeline would run; writes nothing." },
  args,
  async run({ rawArgs }) {
    const parsed = parseStrict("plan", args, rawArgs);
    const format = formatOption(parsed);
    effectiveTaskId(stringOption(parsed, "task"), process.env);
    const roots = resolveStoreRoots({ env: process.env, cwd: process.cwd() });
    const loaded = loadConfig(roots.repo);
    const doc = describePlan(resolvePipeline(loaded?.config ?? null, parsed.positionals[0]));
    const text = format === "json" ? JSON.stringify(doc, null, 2) : formatPlanText(doc).join("\n");
    await stdoutStream.write(`${text}\n`);
  },
});
