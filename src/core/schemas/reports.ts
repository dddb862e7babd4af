import * as v from "valibot";
import { CacheExplanation } from "./cache.ts";
import { IsoTimestamp, NullableIso, RunStatus } from "./common.ts";
import { ChildRun, CommandEntry } from "./manifest.ts";

/** `activity` of a status report (SPEC §11.2): stale = unfinished and heartbeat older than the stale limit. */
export const Activity = v.object({ stale: v.boolean(), age_seconds: v.nullable(v.pipe(v.number(), v.minValue(0))) });
export type Activity = v.InferOutput<typeof Activity>;

/** `status --format json` (SPEC §5.3): exactly these keys, in this order. */
export const StatusReport = v.object({
  run_id: v.string(),
  status: RunStatus,
  status_detail: v.nullable(v.string()),
  started_at: IsoTimestamp,
  completed_at: NullableIso,
  /** Manifest path relative to the repository root. */
  manifest: v.string(),
  artifact_root: v.string(),
  log_path: v.string(),
  heartbeat_at: NullableIso,
  commands: v.array(CommandEntry),
  child_runs: v.array(ChildRun),
  activity: Activity,
});
export type StatusReport = v.InferOutput<typeof StatusReport>;

export const PlanDocItem = v.object({ id: v.string(), description: v.string(), requires_cloud: v.literal(false) });
export type PlanDocItem = v.InferOutput<typeof PlanDocItem>;

export const PlanStage = v.variant("kind", [
  v.object({
    index: v.number(),
    id: v.string(),
    title: v.string(),
    kind: v.literal("command"),
    command: v.string(),
    cwd: v.nullable(v.string()),
    env: v.nullable(v.record(v.string(), v.string())),
    allowFailure: v.boolean(),
    summaryHint: v.nullable(v.string()),
  }),
  v.object({
    index: v.number(),
    id: v.string(),
    title: v.string(),
    kind: v.literal("subpipeline"),
    pipeline: v.string(),
    optional: v.boolean(),
  }),
]);
export type PlanStage = v.InferOutput<typeof PlanStage>;

/** `plan --format json` (SPEC §5.2); key order is the printed order. */
export const PlanDocument = v.object({
  pipeline: v.object({
    id: v.string(),
    title: v.string(),
    description: v.nullable(v.string()),
    source: v.picklist(["default", "user"]),
  }),
  stages: v.array(PlanStage),
  plan: v.object({ items: v.array(PlanDocItem), notes: v.optional(v.string()) }),
  /**
   * The stage graph (additive, issue 17): `sequential` (each stage needs the one before) or `parallel` (explicit
   * `needs`, or `parallel: true`); `levels` are the stage ids that can run together, in order.
   */
  graph: v.object({
    mode: v.picklist(["sequential", "parallel"]),
    levels: v.array(v.array(v.string())),
    nodes: v.array(v.object({ id: v.string(), needs: v.array(v.string()) })),
    edges: v.array(v.object({ from: v.string(), to: v.string() })),
  }),
  /** `plan --explain` (additive, issue 18): per stage, whether it would hit the stage cache, and why not. */
  cache: v.optional(v.array(CacheExplanation)),
});
export type PlanDocument = v.InferOutput<typeof PlanDocument>;
