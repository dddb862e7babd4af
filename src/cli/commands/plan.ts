import { commandCacheSettings } from "../cache-options.ts";
import { defineCommand } from "../define-command.ts";
import { UsageError } from "../../core/errors.ts";
import type { CacheExplanation } from "../../core/schemas/cache.ts";
import { loadConfig } from "../../pipeline/config-loader.ts";
import { describePlan, formatPlanText } from "../../pipeline/plan.ts";
import { resolvePipeline } from "../../pipeline/resolve.ts";
import { explainStages } from "../../pipeline/stage-cache.ts";
import { githubMatrix } from "../../pipeline/stage-groups.ts";
import { effectiveTaskId, resolveStoreRoots } from "../../run/paths.ts";
import { booleanOption, type ParsedArgs, parseStrict, stringOption } from "../args.ts";
import { stdoutStream } from "../output-stream.ts";

const args = {
  pipeline: { type: "positional", required: false, description: "pipeline id (default: defaultPipeline, else diagnostics)" },
  task: { type: "string", description: "task id override", valueHint: "id" },
  format: { type: "string", description: "text (default), json, or github-matrix (independent stage groups for strategy.matrix)", valueHint: "json|text|github-matrix" },
  explain: { type: "boolean", description: "show for every stage whether it would hit the stage cache, and why not" },
  "no-cache": { type: "boolean", description: "with --explain: as start --no-cache would run (every stage misses)" },
  "cache-dir": { type: "string", description: "stage cache store (default $XDG_CACHE_HOME/codex-orchestrator/stage-cache)", valueHint: "dir" },
} as const;

type PlanFormat = "json" | "text" | "github-matrix";

function planFormat(parsed: ParsedArgs): PlanFormat {
  const value = stringOption(parsed, "format");
  if (value === undefined || value === "text") return "text";
  if (value === "json" || value === "github-matrix") return value;
  throw new UsageError(`Invalid value for --format: ${value} (expected json, text or github-matrix).`);
}

/** The `--explain` lines of the text form: one per stage. */
function explainLines(explained: readonly CacheExplanation[]): string[] {
  const lines = ["Cache:"];
  for (const e of explained) {
    if (e.result === "hit") lines.push(`  hit       ${e.id} (from run ${e.source_run_id})`);
    else if (e.result === "miss") lines.push(`  miss      ${e.id}: ${e.reason}`);
    else lines.push(`  uncached  ${e.id}: ${e.reason}`);
  }
  return lines;
}

/** `plan [pipeline]` (SPEC §5.2): resolves like `start` and prints the stages; writes nothing. */
export default defineCommand({
  meta: { name: "plan", description: "Show the stages a pipeline would run; writes nothing." },
  args,
  async run({ rawArgs }) {
    const parsed = parseStrict("plan", args, rawArgs);
    const format = planFormat(parsed);
    effectiveTaskId(stringOption(parsed, "task"), process.env);
    const roots = resolveStoreRoots({ env: process.env, cwd: process.cwd() });
    const loaded = loadConfig(roots.repo);
    const resolved = resolvePipeline(loaded?.config ?? null, parsed.positionals[0]);
    if (format === "github-matrix") {
      if (booleanOption(parsed, "explain")) throw new UsageError("--explain cannot be used with --format github-matrix.");
      // One line: `echo "matrix=$(codex-orchestrator plan --format github-matrix)" >> "$GITHUB_OUTPUT"`.
      await stdoutStream.write(`${JSON.stringify(githubMatrix(resolved.pipeline))}\n`);
      return;
    }
    const doc = describePlan(resolved);
    let explained: CacheExplanation[] | null = null;
    if (booleanOption(parsed, "explain")) {
      const settings = commandCacheSettings(roots.repo, loaded, { cliDir: stringOption(parsed, "cache-dir"), noCache: booleanOption(parsed, "no-cache") });
      const ctx = { pipeline: resolved.pipeline, config: loaded?.config, cwd: process.cwd(), repo: roots.repo, keys: new Map() };
      explained = await explainStages(ctx, settings);
    }
    const text =
      format === "json"
        ? JSON.stringify(explained === null ? doc : { ...doc, cache: explained }, null, 2)
        : [...formatPlanText(doc), ...(explained === null ? [] : explainLines(explained))].join("\n");
    await stdoutStream.write(`${text}\n`);
  },
});
