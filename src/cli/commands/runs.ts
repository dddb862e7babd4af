import type { ArgsDef } from "citty";
import { defineCommand } from "../define-command.ts";
import { UsageError } from "../../core/errors.ts";
import { validateTaskId } from "../../core/ids.ts";
import { resolveStoreRoots, rel } from "../../run/paths.ts";
import { type CatalogRun, listRuns } from "../../run/run-catalog.ts";
import { pruneRuns } from "../../run/run-prune.ts";
import { booleanOption, formatOption, parseStrict, stringOption } from "../args.ts";
import { stdoutStream } from "../output-stream.ts";

const args = {
  action: { type: "positional", required: true, description: "list or prune" },
  task: { type: "string", valueHint: "id", description: "only this task (default: every task)" },
  format: { type: "string", valueHint: "json|text", description: "list output: text (default) or json" },
  keep: { type: "string", valueHint: "n", description: "prune: keep the newest n finished runs of each task" },
  "older-than": { type: "string", valueHint: "age", description: "prune: runs started more than this long ago (30m, 12h, 7d, 2w)" },
  "dry-run": { type: "boolean", description: "prune: list what would be removed, remove nothing" },
} satisfies ArgsDef;

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `--older-than`: a positive number with a unit (s, m, h, d, w). */
export function parseAge(value: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(value.trim());
  const ms = match === null ? Number.NaN : Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  if (!(ms > 0)) throw new UsageError(`Invalid value for --older-than: ${value} (expected an age such as 30m, 12h, 7d or 2w).`);
  return ms;
}

function parseKeep(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new UsageError(`Invalid value for --keep: ${value} (expected a whole number of runs, 0 or more).`);
  }
  return n;
}

function duration(run: CatalogRun): string {
  const m = run.manifest;
  if (m === null) return "";
  const end = m.completed_at === null ? Date.now() : Date.parse(m.completed_at);
  const seconds = Math.max(0, (end - Date.parse(m.started_at)) / 1000);
  return seconds < 60 ? `${seconds.toFixed(1)}s` : `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
}

function statusOf(run: CatalogRun): string {
  if (run.manifest === null) return "invalid";
  return run.stale ? `${run.manifest.status} [stale]` : run.manifest.status;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ").trimEnd()).join("\n");
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** `runs list | prune` (issue 22.12): find runs in the store, and keep it from growing without bound. */
export default defineCommand({
  meta: {
    name: "runs",
    description: "List the runs of the store, or prune finished ones (runs prune --keep N | --older-than 7d).",
    usage:
      "Usage: codex-orchestrator runs list [--task <id>] [--format json|text] | runs prune (--keep <n> | --older-than <age>) [--task <id>] [--dry-run]",
  } as never,
  args,
  async run({ rawArgs }) {
    const parsed = parseStrict("runs", args, rawArgs);
    const [action, extra] = parsed.positionals;
    if (extra !== undefined) throw new UsageError(`Unexpected argument: ${extra}`);
    const taskOption = stringOption(parsed, "task");
    const task = taskOption === undefined ? undefined : validateTaskId(taskOption, "--task");
    const roots = resolveStoreRoots({ env: process.env, cwd: process.cwd() });
    switch (action) {
      case "list": {
        const format = formatOption(parsed);
        const runs = await listRuns(roots, { task });
        if (format === "json") {
          const doc = runs.map((r) => ({
            run_id: r.runId,
            task_id: r.taskId,
            pipeline_id: r.manifest?.pipeline_id ?? null,
            status: r.manifest?.status ?? null,
            status_detail: r.manifest?.status_detail ?? null,
            started_at: r.manifest?.started_at ?? null,
            completed_at: r.manifest?.completed_at ?? null,
            parent_run_id: r.manifest?.parent_run_id ?? null,
            child: r.child,
            stale: r.stale,
            manifest: rel(roots, r.files.manifest),
            problem: r.problem,
          }));
          await stdoutStream.write(`${JSON.stringify(doc, null, 2)}\n`);
          return;
        }
        if (runs.length === 0) {
          await stdoutStream.write(`No runs under ${roots.runs}.\n`);
          return;
        }
        const rows = [["RUN", "TASK", "PIPELINE", "STATUS", "STARTED", "DURATION"]];
        for (const r of runs) {
          const pipeline = r.manifest === null ? "" : r.child ? `  ${r.manifest.pipeline_id} (child)` : r.manifest.pipeline_id;
          rows.push([r.runId, r.taskId, pipeline, statusOf(r), r.manifest?.started_at ?? "", duration(r)]);
        }
        await stdoutStream.write(`${table(rows)}\n`);
        return;
      }
      case "prune": {
        const keepRaw = stringOption(parsed, "keep");
        const ageRaw = stringOption(parsed, "older-than");
        if (keepRaw === undefined && ageRaw === undefined) {
          throw new UsageError("runs prune requires --keep <n> or --older-than <age>.");
        }
        const dryRun = booleanOption(parsed, "dry-run");
        const result = await pruneRuns(
          roots,
          { keep: keepRaw === undefined ? undefined : parseKeep(keepRaw), olderThanMs: ageRaw === undefined ? undefined : parseAge(ageRaw) },
          { task, dryRun },
        );
        const verb = dryRun ? "Would remove" : "Removed";
        const lines = result.removed.map(
          (r) => `${verb} ${r.taskId}/${r.runId}${r.children > 0 ? ` (+${r.children} child runs)` : ""} ${mib(r.bytes)}`,
        );
        for (const k of result.kept) lines.push(`Kept ${k.taskId}/${k.runId}: ${k.reason}`);
        lines.push(`${verb} ${result.removed.length} runs, ${mib(result.bytes)}${dryRun ? "" : " freed"}.`);
        await stdoutStream.write(`${lines.join("\n")}\n`);
        return;
      }
      case undefined:
        throw new UsageError("runs requires a subcommand: list or prune.");
      default:
        throw new UsageError(`Unknown runs subcommand: ${action} (expected list or prune).`);
    }
  },
});
