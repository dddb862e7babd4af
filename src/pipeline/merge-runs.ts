import { copyFile, mkdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { UsageError, errorMessage } from "../core/errors.ts";
import { guardrailCounts } from "../core/guardrails.ts";
import { newRunId } from "../core/ids.ts";
import type { PipelineDefinition } from "../core/schemas/config.ts";
import type { CommandEntry, Manifest } from "../core/schemas/manifest.ts";
import { appendSummary, guardrailLine, guardrailRecommendation, upsertGuardrailLine, GUARDRAIL_FAILED, GUARDRAIL_MISSING } from "../core/summary.ts";
import { writeFileAtomic } from "../platform/atomic-write.ts";
import { loadInstructions } from "../run/instructions.ts";
import { ManifestStore, loadManifest } from "../run/manifest-store.ts";
import { buildMetricsLine, tryAppendMetricsLine } from "../run/metrics-file.ts";
import { commandLogPath, effectiveTaskId, errorFilePath, rel, resolveStoreRoots } from "../run/paths.ts";
import { writeRunSummaryFile } from "../run/run-summary-file.ts";
import { recordTaskState } from "../run/task-state.ts";
import { buildRunSummary } from "./run-summary.ts";
import { runMetrics } from "./run-metrics.ts";

export type MergeRequest = {
  env: Record<string, string | undefined>;
  cwd: string;
  /** Run directories (each holding a `manifest.json`), e.g. the artifacts of the jobs of a matrix. */
  dirs: readonly string[];
  /** `--task`: the task of the merged run (default: the task of the first run). */
  task?: string | undefined;
  warn: (line: string) => void;
};

export type MergeResult = { manifest: Manifest; manifestPath: string; exitCode: number };

type Source = { dir: string; manifest: Manifest };

/**
 * `merge <run dir>…` (issue 18): the runs of one pipeline made by separate jobs (`start --only <group>`) become one
 * run record in this repository's store — one manifest, its logs and error files copied in, `run-summary.json`, one
 * metrics line and a `state.json` entry. Every stage is taken from the first run (in argument order) that ran it (its
 * entry is not `pending`); the runs must be finished runs of the same pipeline definition (`pipeline_hash`). The run
 * fails when a stage failed, is cancelled when one was cancelled, else succeeds. Bad input is a usage error naming
 * the directory, and nothing is written.
 */
export async function mergeRuns(request: MergeRequest): Promise<MergeResult> {
  if (request.dirs.length === 0) throw new UsageError("merge requires at least one run directory.");
  const sources: Source[] = [];
  for (const given of request.dirs) {
    const dir = resolve(request.cwd, given);
    let manifest: Manifest;
    try {
      manifest = await loadManifest(join(dir, "manifest.json"));
    } catch (error) {
      throw new UsageError(`Cannot merge ${given}: ${errorMessage(error)}`, { cause: error });
    }
    if (manifest.status === "queued" || manifest.status === "in_progress") {
      throw new UsageError(`Cannot merge ${given}: run ${manifest.run_id} is still ${manifest.status}.`);
    }
    const first = sources[0];
    if (first !== undefined) {
      const same =
        manifest.pipeline_id === first.manifest.pipeline_id &&
        (manifest.pipeline_hash ?? null) === (first.manifest.pipeline_hash ?? null) &&
        manifest.commands.map((c) => c.id).join("\n") === first.manifest.commands.map((c) => c.id).join("\n");
      if (!same) {
        throw new UsageError(
          `Cannot merge ${given}: run ${manifest.run_id} is of pipeline '${manifest.pipeline_id}' (${manifest.pipeline_hash ?? "no hash"}), ` +
            `not of '${first.manifest.pipeline_id}' (${first.manifest.pipeline_hash ?? "no hash"}) like ${request.dirs[0]}.`,
        );
      }
    }
    if (sources.some((s) => s.manifest.run_id === manifest.run_id)) throw new UsageError(`Cannot merge ${given}: run ${manifest.run_id} is given twice.`);
    sources.push({ dir, manifest });
  }
  const base = (sources[0] as Source).manifest;
  const roots = resolveStoreRoots({ env: request.env, cwd: request.cwd });
  const taskId = request.task === undefined ? base.task_id : effectiveTaskId(request.task, request.env);

  // Each stage from the first run that ran it.
  const chosen = base.commands.map((_, i) => sources.find((s) => s.manifest.commands[i]?.status !== "pending") ?? (sources[0] as Source));

  const runId = newRunId();
  const store = await ManifestStore.create({
    roots,
    taskId,
    runId,
    taskSlug: base.task_slug,
    parentRunId: null,
    pipelineId: base.pipeline_id,
    pipelineTitle: base.pipeline_title,
    pipelineHash: base.pipeline_hash ?? null,
    approvalPolicy: base.approval_policy,
    status: "queued",
    stages: base.commands.map((c) => ({ id: c.id, title: c.title, command: c.command, kind: c.kind, definitionHash: c.definition_hash ?? null, needs: c.needs ?? [] })),
    instructions: await loadInstructions(roots.repo),
  });
  const m = store.manifest;
  const dir = store.files.dir;
  const copyInto = async (source: Source, path: string | null, target: string): Promise<string | null> => {
    if (path === null) return null;
    // Paths in a manifest are relative to its repository; inside the run directory they are relative to artifact_root.
    const from = join(source.dir, relative(source.manifest.artifact_root, path));
    await mkdir(dirname(target), { recursive: true });
    try {
      await copyFile(from, target);
    } catch (error) {
      request.warn(`merge: ${from} not copied: ${errorMessage(error)}`);
      return null;
    }
    return rel(roots, target);
  };

  for (const [i, source] of chosen.entries()) {
    const entry = structuredClone(source.manifest.commands[i] as CommandEntry);
    entry.log_path = await copyInto(source, entry.log_path, commandLogPath(dir, entry.index, entry.id));
    entry.error_file = await copyInto(source, entry.error_file, errorFilePath(dir, entry.index, entry.id));
    m.commands[i] = entry;
  }
  await mergeRunnerLogs(sources, chosen, store.files.runnerLog);

  const stageSource = new Map(chosen.map((s, i) => [base.commands[i]?.id as string, s.manifest.run_id]));
  m.toolRuns = sources.flatMap((s) =>
    s.manifest.toolRuns.filter((r) => stageSource.get(String((r.metadata as { stageId?: unknown } | undefined)?.stageId)) === s.manifest.run_id),
  );
  m.child_runs = sources.flatMap((s) => s.manifest.child_runs);
  m.approvals = sources.flatMap((s) => s.manifest.approvals);
  m.started_at = sources.map((s) => s.manifest.started_at).sort()[0] as string;
  m.completed_at = sources.map((s) => s.manifest.completed_at ?? s.manifest.updated_at).sort().at(-1) as string;
  m.heartbeat_at = m.completed_at;
  const failed = m.commands.find((c) => c.status === "failed");
  const cancelled = m.commands.some((c) => c.status === "cancelled") || sources.some((s) => s.manifest.status === "cancelled");
  m.status = failed !== undefined ? "failed" : cancelled ? "cancelled" : "succeeded";
  const failedSource = failed === undefined ? null : chosen[failed.index - 1];
  m.status_detail =
    m.status === "succeeded" ? null : (failedSource?.manifest.status_detail ?? sources.find((s) => s.manifest.status === m.status)?.manifest.status_detail ?? null);
  // The stage lines of every run; the guardrail lines are those of the merged stages.
  let summary: string | null = null;
  const seen = new Set<string>();
  for (const s of sources) {
    for (const line of (s.manifest.summary ?? "").split("\n")) {
      if (line === "" || seen.has(line) || line === GUARDRAIL_MISSING || line === GUARDRAIL_FAILED || line.toLowerCase().startsWith("guardrails:")) continue;
      seen.add(line);
      summary = appendSummary(summary, line);
    }
  }
  summary = appendSummary(summary, `Merged from ${sources.length} run${sources.length === 1 ? "" : "s"}: ${sources.map((s) => s.manifest.run_id).join(", ")}.`);
  const counts = guardrailCounts(m.commands);
  const recommendation = guardrailRecommendation(counts);
  if (recommendation !== null) summary = appendSummary(summary, recommendation);
  m.summary = upsertGuardrailLine(summary, guardrailLine(counts));
  m.metrics = runMetrics(m.toolRuns);
  m.merged_from = sources.map((s) => ({ run_id: s.manifest.run_id, artifact_root: s.manifest.artifact_root }));
  await store.save();

  const pipeline: PipelineDefinition = {
    id: m.pipeline_id,
    title: m.pipeline_title,
    stages: m.commands.map((c) =>
      c.kind === "command"
        ? { kind: "command" as const, id: c.id, title: c.title, command: c.command ?? "", allowFailure: false }
        : { kind: "subpipeline" as const, id: c.id, title: c.title, pipeline: c.id, optional: false },
    ),
  };
  const notes = m.commands.map((c) => `${c.title}: ${c.summary ?? c.status}`);
  const runSummary = buildRunSummary({ manifest: m, pipeline, notes, now: new Date() });
  m.run_summary_path = rel(roots, await writeRunSummaryFile(dir, runSummary));
  m.metrics_recorded = await tryAppendMetricsLine(roots, buildMetricsLine(m, new Date()), request.warn);
  await store.save();
  await recordTaskState(roots, taskId, runSummary, { warn: request.warn, error: request.warn });
  return { manifest: m, manifestPath: store.files.manifest, exitCode: m.status === "succeeded" ? 0 : 1 };
}

/** `runner.ndjson` of the merged run: the lines of each stage from the run it was taken from, in time order. */
async function mergeRunnerLogs(sources: readonly Source[], chosen: readonly Source[], target: string): Promise<void> {
  const lines: { at: string; n: number; text: string }[] = [];
  let n = 0;
  for (const source of sources) {
    const path = join(source.dir, relative(source.manifest.artifact_root, source.manifest.log_path));
    const text = await readFile(path, "utf8").catch(() => "");
    for (const line of text.split("\n")) {
      if (line === "") continue;
      let parsed: { index?: unknown; timestamp?: unknown };
      try {
        parsed = JSON.parse(line);
      } catch {
        continue; // a torn last line of a killed run
      }
      const index = typeof parsed.index === "number" ? parsed.index : null;
      if (index === null || chosen[index - 1] !== source) continue;
      lines.push({ at: String(parsed.timestamp ?? ""), n: n++, text: line });
    }
  }
  lines.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.n - b.n));
  await writeFileAtomic(target, lines.map((l) => `${l.text}\n`).join(""));
}

