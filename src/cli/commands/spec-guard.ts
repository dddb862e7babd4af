import type { ArgsDef, CommandDef } from "citty";
import { defineCommand } from "../define-command.ts";
import { ExitSignal, UsageError } from "../../core/errors.ts";
import { renderSpecGuardReport, runSpecGuard } from "../../guardrails/spec-guard.ts";
import { resolveStoreRoots } from "../../run/paths.ts";
import { renderCommandUsage } from "../command-usage.ts";

const args = {
  "dry-run": { type: "boolean", description: "Report failures but exit 0." },
  help: { type: "boolean", description: "Show this usage (also -h)." },
} satisfies ArgsDef;

// The usage line itself comes from help.ts (SPEC §5.6: `Usage: codex-orchestrator spec-guard [--dry-run]`).
const meta = {
  name: "spec-guard",
  description: [
    "Checks the changes since the base ($BASE_SHA, else origin/main, else the root commit of HEAD):",
    "  1. code or migrations changed (src/, app/, server/, migrations/, db/migrations/, prisma/migrations/) need a",
    "     spec update under tasks/specs/ or tasks/index.json;",
    "  2. every tasks/specs/*.md carries a last_review: YYYY-MM-DD at most 30 days old;",
    "  and every [x] item of tasks/tasks-*.md cites .runs/<task>/cli/<run-id>/manifest.json with the same state in",
    "  docs/TASKS.md and .agent/task/<id>-<slug>.md. Exit 0 OK, 1 failures, 2 bad option, 128 no git base.",
  ].join("\n  "),
};

export default defineCommand({
  meta,
  args,
  async run({ rawArgs, cmd }) {
    let dryRun = false;
    for (const arg of rawArgs) {
      // SPEC §5.6: only --dry-run (booleans also take =true|=false, §4.2); anything else is followed by the usage.
      if (arg === "--dry-run" || arg === "--dry-run=true") dryRun = true;
      else if (arg === "--dry-run=false") dryRun = false;
      else {
        const usage = await renderCommandUsage("spec-guard", cmd as CommandDef<ArgsDef>);
        throw new UsageError(`Unknown option: ${arg}\n${usage}`);
      }
    }
    const { failures } = runSpecGuard({ repo: resolveStoreRoots({ env: process.env, cwd: process.cwd() }).repo });
    const report = renderSpecGuardReport(failures, dryRun);
    process.stdout.write(report.text);
    if (report.exitCode !== 0) throw new ExitSignal(report.exitCode);
  },
});
