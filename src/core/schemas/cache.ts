import * as v from "valibot";
import { IsoTimestamp, NonNegativeInt } from "./common.ts";

/**
 * The stage cache (issue 18): what an entry of the store holds, the manifest's record of a hit or a miss, and the
 * documents of `cache stats`, `cache prune`, `plan --explain` and `plan --format github-matrix`.
 */

/** `sha256:<64 hex>`: a cache key, a file digest. */
export const Sha256Digest = v.pipe(v.string(), v.regex(/^sha256:[0-9a-f]{64}$/, "expected sha256:<64 lowercase hex>"));

/**
 * What a key was computed from, each part hashed or as written in the config: enough to say which part changed when
 * a later key misses, and nothing secret — environment values are stored only as digests (a secret-looking name's
 * value is never written anywhere), the command only as its digest.
 */
export const CacheFingerprint = v.looseObject({
  command: Sha256Digest,
  /** The stage's cwd relative to the repository root (`.` for the root), so copies of a repository share keys. */
  cwd: v.string(),
  /** Stage `env` name → digest of its value. */
  env: v.record(v.string(), Sha256Digest),
  /** Input file (relative to the cwd) → digest of its content. */
  inputs: v.record(v.string(), Sha256Digest),
  inputPatterns: v.array(v.string()),
  outputPatterns: v.array(v.string()),
  /** Stage id → its key (or, for a stage that is not cached, the digest of its definition). */
  needs: v.record(v.string(), v.string()),
  sandbox: v.nullable(v.string()),
  network: v.boolean(),
  version: v.string(),
});
export type CacheFingerprint = v.InferOutput<typeof CacheFingerprint>;

/** One file of an entry, with what it must hash to when it is read back. */
export const CacheFile = v.looseObject({
  path: v.string(),
  size: NonNegativeInt,
  sha256: Sha256Digest,
  mode: NonNegativeInt,
});
export type CacheFile = v.InferOutput<typeof CacheFile>;

/** `<store>/entries/<2 hex>/<64 hex>/entry.json`: one stored stage result. */
export const CacheEntry = v.looseObject({
  version: v.literal(1),
  key: Sha256Digest,
  pipeline_id: v.string(),
  stage_id: v.string(),
  task_id: v.string(),
  /** The run whose stage produced the entry. */
  run_id: v.string(),
  created_at: IsoTimestamp,
  fingerprint: CacheFingerprint,
  exit_code: v.literal(0),
  summary: v.nullable(v.string()),
  /** The stage's output files (paths relative to its cwd), stored under `files/<n>`. */
  outputs: v.array(CacheFile),
  /** `output.ndjson`: the stage's output chunks, replayed on a hit. */
  log: CacheFile,
  /** Bytes of the entry's files (what the size bound counts). */
  bytes: NonNegativeInt,
});
export type CacheEntry = v.InferOutput<typeof CacheEntry>;

/** One line of an entry's `output.ndjson`: an output chunk as the stage's command produced it (already redacted). */
export const CachedChunk = v.looseObject({
  stream: v.picklist(["stdout", "stderr"]),
  data: v.string(),
  encoding: v.optional(v.literal("base64")),
});
export type CachedChunk = v.InferOutput<typeof CachedChunk>;

/** `<store>/stages/<64 hex>.json`: the last key stored for a pipeline's stage, to explain a later miss. */
export const CacheStageIndex = v.looseObject({
  version: v.literal(1),
  pipeline_id: v.string(),
  stage_id: v.string(),
  key: Sha256Digest,
  updated_at: IsoTimestamp,
});
export type CacheStageIndex = v.InferOutput<typeof CacheStageIndex>;

/**
 * `commands[].cache` (additive): `hit` (status `cached`: the command did not run, its outputs and logs came from
 * `source_run_id`), `miss` (with `reason`; `stored` once the stage's result went into the store) or `off`
 * (`--no-cache`).
 */
export const CacheRecord = v.looseObject({
  result: v.picklist(["hit", "miss", "off"]),
  key: v.nullable(Sha256Digest),
  source_run_id: v.nullable(v.string()),
  reason: v.nullable(v.string()),
  stored: v.optional(v.boolean()),
});
export type CacheRecord = v.InferOutput<typeof CacheRecord>;

/** `cache stats --format json`. */
export const CacheStats = v.object({
  dir: v.string(),
  entries: NonNegativeInt,
  bytes: NonNegativeInt,
  max_bytes: NonNegativeInt,
  oldest_used_at: v.nullable(IsoTimestamp),
  newest_used_at: v.nullable(IsoTimestamp),
});
export type CacheStats = v.InferOutput<typeof CacheStats>;

/** `cache prune --format json`. */
export const CachePruneResult = v.object({
  dir: v.string(),
  removed: NonNegativeInt,
  removed_bytes: NonNegativeInt,
  entries: NonNegativeInt,
  bytes: NonNegativeInt,
  max_bytes: NonNegativeInt,
});
export type CachePruneResult = v.InferOutput<typeof CachePruneResult>;

/** `plan --explain`, one per stage: would it hit, and why not. */
export const CacheExplanation = v.object({
  id: v.string(),
  result: v.picklist(["hit", "miss", "uncached"]),
  key: v.nullable(Sha256Digest),
  reason: v.nullable(v.string()),
  source_run_id: v.nullable(v.string()),
});
export type CacheExplanation = v.InferOutput<typeof CacheExplanation>;

/** `plan --format github-matrix`: a value for `strategy.matrix` (`fromJSON`), one job per independent stage group. */
export const GithubMatrix = v.object({
  include: v.array(
    v.object({
      /** `g1`, `g2`, …: stable for a given pipeline. */
      group: v.string(),
      /** Comma-separated stage ids, the value of `start --only`. */
      stages: v.string(),
      pipeline: v.string(),
    }),
  ),
});
export type GithubMatrix = v.InferOutput<typeof GithubMatrix>;
