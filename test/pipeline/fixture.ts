import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { workspace } from "../helpers/workspace.ts";

const C = (id: string, title: string, command: string, extra: Record<string, unknown> = {}) => ({ kind: "command", id, title, command, ...extra });
const S = (pipeline: string, extra: Record<string, unknown> = {}) => ({ kind: "subpipeline", id: "child", title: "child", pipeline, ...extra });

/** The `codex.orchestrator.json` of SPEC §23. */
export const SPEC_CONFIG = {
  defaultPipeline: "simple",
  pipelines: [
    { id: "simple", title: "Simple pipeline", stages: [C("echo-ok", "emit ok", "echo ok; echo warn 1>&2")] },
    {
      id: "failable",
      title: "Failable",
      stages: [
        C("first", "first", "echo first"),
        C("fail-once", "fail once", "if [ -f fail.flag ]; then rm fail.flag; echo failing >&2; exit 3; fi; echo ok"),
        C("after", "after", "echo after", { allowFailure: true, summaryHint: "hint!" }),
      ],
    },
    { id: "failing", title: "Failing", stages: [C("boom", "boom", "exit 4")] },
    { id: "parent", title: "Parent", stages: [S("simple")] },
    { id: "optparent", title: "Opt", stages: [S("failing", { optional: true })] },
    { id: "badparent", title: "Bad", stages: [S("nope")] },
    { id: "slow", title: "Slow", stages: [C("nap", "nap", "sleep ${NAP:-30}")] },
    { id: "guarded", title: "Guarded", stages: [C("spec-guard", "spec-guard", "codex-orchestrator spec-guard --dry-run")] },
    { id: "legacy", title: "Legacy", stages: [C("spec-guard", "spec-guard", "sh scripts/spec-guard.sh --dry-run")] },
    {
      id: "sess",
      title: "Sessions",
      stages: [
        C("one", "one", "echo $A", { env: { A: "1" }, session: { id: "s1", persist: true } }),
        C("two", "two", "echo $A", { env: { A: "2" }, session: { id: "s1", persist: true } }),
      ],
    },
    { id: "empty", title: "Empty", stages: [] },
  ],
};

/** A scratch `W` as in SPEC §23: AGENTS.md, scripts/spec-guard.sh and the config. */
export function specWorkspace(config: unknown = SPEC_CONFIG): string {
  const dir = workspace(config, "co-pipe-");
  mkdirSync(join(dir, "scripts"));
  writeFileSync(join(dir, "scripts/spec-guard.sh"), "exit 0\n");
  return dir;
}

/** A schema-valid manifest for tests that need a run on disk without running one. */
export function fakeManifest(taskId: string, runId: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const at = "2025-11-04T02:45:12.345Z";
  const root = `.runs/${taskId}/cli/${runId}`;
  return {
    version: 1, task_id: taskId, task_slug: taskId, run_id: runId, parent_run_id: null, pipeline_id: "p",
    pipeline_title: "P", runner: "codex-cli", approval_policy: null, status: "succeeded", status_detail: null,
    started_at: at, completed_at: at, updated_at: at, heartbeat_at: at, heartbeat_interval_seconds: 5,
    heartbeat_stale_after_seconds: 30, artifact_root: root, compat_path: root, log_path: `${root}/runner.ndjson`,
    summary: null, metrics_recorded: true, resume_token: "a".repeat(64), resume_events: [], approvals: [], commands: [],
    child_runs: [], run_summary_path: null, instructions_hash: null, instructions_sources: [], schema_version: 1,
    instructions: { hash: null, sources: [] }, toolRuns: [], metrics: null, notifications: null, ...over,
  };
}

/** A command entry of a fake manifest. */
export function fakeEntry(index: number, id: string, status: string, summary: string | null): Record<string, unknown> {
  return {
    index, id, title: id, command: `echo ${id}`, kind: "command", status, started_at: null, completed_at: null,
    exit_code: null, summary, log_path: null, error_file: null, sub_run_id: null,
  };
}
