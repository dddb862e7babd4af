/**
 * Shapes of the CLI's JSON documents the SDK returns: `status --format json` (SPEC §5.3) and `plan --format json`
 * (§5.2). Built from the core manifest types; the pipeline layer prints exactly these keys.
 */
import type { ChildRun, CommandEntry, Manifest } from "../core/schemas/manifest.ts";

/** `status --format json`. */
export type StatusReport = {
  run_id: string;
  status: Manifest["status"];
  status_detail: string | null;
  started_at: string;
  completed_at: string | null;
  /** Manifest path relative to the repository root. */
  manifest: string;
  artifact_root: string;
  log_path: string;
  heartbeat_at: string | null;
  commands: CommandEntry[];
  child_runs: ChildRun[];
  /** `stale`: an unfinished run whose heartbeat is too old; `age_seconds`: heartbeat age, null when unknown. */
  activity: { stale: boolean; age_seconds: number | null };
};

export type PlanItem = { id: string; description: string; requires_cloud: false };

export type PlanStage =
  | {
      index: number;
      id: string;
      title: string;
      kind: "command";
      command: string;
      cwd: string | null;
      env: Record<string, string> | null;
      allowFailure: boolean;
      summaryHint: string | null;
    }
  | { index: number; id: string; title: string; kind: "subpipeline"; pipeline: string; optional: boolean };

/** `plan --format json`. */
export type PlanDocument = {
  pipeline: { id: string; title: string; description: string | null; source: "default" | "user" };
  stages: PlanStage[];
  plan: { items: PlanItem[]; notes?: string };
};
