/**
 * The stage cache in a run (issue 18): the key of a command stage with `inputs`, the lookup before it runs, the
 * replay of a hit, the record of a miss and the store after a success. Called once from `command-stage.ts`; the key
 * and the store live in `src/cache/`.
 *
 * A hit replays the stage's recorded output chunks through the path live output takes: `exec:begin`, one
 * `exec:chunk` per chunk and `exec:end` from a `CommandEvents` of its own (`cached: true`) onto the run's stream,
 * whose recorder writes the stage's log as it does for a live attempt.
 */
import { fingerprintChange, fingerprintOf, keyOf } from "../cache/cache-key.ts";
import type { CacheSettings } from "../cache/cache-settings.ts";
import { CacheStore, restoreFile, type StoredEntry } from "../cache/cache-store.ts";
import { matchFiles } from "../cache/input-files.ts";
import { readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { errorMessage } from "../core/errors.ts";
import * as v from "valibot";
import { CachedChunk, type CacheExplanation, type CacheFingerprint, type CacheRecord } from "../core/schemas/cache.ts";
import type { CommandStage as CommandStageDef, OrchestratorConfig, PipelineDefinition } from "../core/schemas/config.ts";
import type { CommandEntry } from "../core/schemas/manifest.ts";
import type { OrchestratorEvent } from "../core/schemas/events.ts";
import { VERSION } from "../core/version.ts";
import { OutputChunk } from "../exec/chunker.ts";
import { CommandEvents } from "../exec/command-events.ts";
import { TailBuffer } from "../exec/tail-buffer.ts";
import { rel } from "../run/paths.ts";
import type { Invocation } from "./invocation.ts";
import { stageHash } from "./pipeline-hash.ts";
import type { ActiveRun, StageOutcome } from "./run-context.ts";
import { stageGraph } from "./stage-graph.ts";
import { stageSandbox } from "./stage-sandbox.ts";

/** A stage's key and what it was computed from. */
export type StageKey = { key: string; fingerprint: CacheFingerprint };

/** What keys are computed against: the pipeline, the config (sandbox defaults), and where relative paths start. */
export type KeyContext = {
  pipeline: PipelineDefinition;
  config: OrchestratorConfig | undefined;
  /** The process cwd (a relative stage `cwd` resolves against it) and the repository root. */
  cwd: string;
  repo: string;
  /** Keys computed so far (a stage's own, or a dependency's): a key, or the definition digest of an uncached stage. */
  keys: Map<string, StageKey | string>;
};

/** Whether a stage takes part in the cache: a command stage that declares `inputs`. */
export function isCacheable(def: PipelineDefinition["stages"][number]): def is CommandStageDef & { inputs: string[] } {
  return def.kind === "command" && def.inputs !== undefined;
}

/** Where a command stage runs: its `cwd` against the invocation's cwd, else the repository root. */
export function stageCwd(def: CommandStageDef, cwd: string, repo: string): string {
  return def.cwd === undefined ? repo : resolve(cwd, def.cwd);
}

/** The key of a cacheable stage from its inputs as they are now and the keys of the stages it needs. */
export function computeStageKey(ctx: KeyContext, def: CommandStageDef & { inputs: string[] }): StageKey {
  const needs: Record<string, string> = {};
  for (const id of stageGraph(ctx.pipeline).needs.get(def.id) ?? []) needs[id] = dependencyKey(ctx, id);
  const cwd = stageCwd(def, ctx.cwd, ctx.repo);
  const sandbox = stageSandbox(def, ctx.pipeline, ctx.config);
  const fingerprint = fingerprintOf({
    command: def.command,
    cwd,
    cwdFromRepo: rel({ repo: ctx.repo }, cwd),
    env: def.env ?? {},
    inputPatterns: def.inputs,
    outputPatterns: def.outputs ?? [],
    needs,
    sandbox: sandbox.mode,
    network: sandbox.network,
    version: VERSION,
  });
  const key = { key: keyOf(fingerprint), fingerprint };
  ctx.keys.set(def.id, key);
  return key;
}

/** A dependency's part of a key: its key when it is cached, else the digest of its definition. */
function dependencyKey(ctx: KeyContext, id: string): string {
  const known = ctx.keys.get(id);
  if (known !== undefined) return typeof known === "string" ? known : known.key;
  const def = ctx.pipeline.stages.find((s) => s.id === id);
  if (def === undefined) return "unknown";
  if (isCacheable(def)) return computeStageKey(ctx, def).key;
  const digest = stageHash(def);
  ctx.keys.set(id, digest);
  return digest;
}

/** Why `key` has no entry: what changed since the stage's last stored key, or "no entry". */
async function missReason(store: CacheStore, pipelineId: string, stageId: string, current: StageKey): Promise<string> {
  const last = await store.lastKey(pipelineId, stageId);
  if (last === null || last === current.key) return "no entry";
  const before = await store.fingerprint(last);
  if (before === null) return "no entry";
  return fingerprintChange(before, current.fingerprint);
}

/** `plan --explain`: for every stage, would it hit the cache, and why not. Reads the store, writes nothing. */
export async function explainStages(ctx: KeyContext, settings: CacheSettings): Promise<CacheExplanation[]> {
  const store = new CacheStore(settings.dir);
  const out: CacheExplanation[] = [];
  for (const def of ctx.pipeline.stages) {
    if (!isCacheable(def)) {
      const reason = def.kind === "command" ? "no inputs declared" : "sub-pipeline stages are not cached";
      out.push({ id: def.id, result: "uncached", key: null, reason, source_run_id: null });
      continue;
    }
    const key = computeStageKey(ctx, def);
    if (!settings.enabled) {
      out.push({ id: def.id, result: "miss", key: key.key, reason: "--no-cache", source_run_id: null });
      continue;
    }
    const found = await store.read(key.key, { keep: true });
    if (found !== null && !("corrupt" in found)) {
      out.push({ id: def.id, result: "hit", key: key.key, reason: null, source_run_id: found.entry.run_id });
      continue;
    }
    const reason = found === null ? await missReason(store, ctx.pipeline.id, def.id, key) : `entry corrupted (${found.corrupt})`;
    out.push({ id: def.id, result: "miss", key: key.key, reason, source_run_id: null });
  }
  return out;
}

/** The key context of each run (keys of the stages it has started), and the invocations that stored something. */
const runContexts = new WeakMap<ActiveRun, KeyContext>();
const storedBy = new WeakSet<Invocation>();

function contextOf(run: ActiveRun): KeyContext {
  let ctx = runContexts.get(run);
  if (ctx === undefined) {
    ctx = { pipeline: run.pipeline, config: run.host.invocation.config?.config, cwd: run.host.cwd, repo: run.runtime.roots.repo, keys: new Map() };
    runContexts.set(run, ctx);
  }
  return ctx;
}

/** At most this much output (as JSON lines) is kept for an entry; a stage that writes more is not stored. */
const MAX_CACHED_OUTPUT_BYTES = 64 * 1024 * 1024;

/** The cache's part in one command stage of a run. */
export type StageCache = {
  /** A hit (replayed, outputs restored) or a refused miss (`--fail-on-cache-miss`): the stage's outcome; else null. */
  before(): Promise<StageOutcome | null>;
  /** Collects the stage's output chunks while it runs; returns the function that stops. */
  capture(): () => void;
  /** After the stage ran: stores its result when it succeeded. */
  after(status: StageOutcome["status"], summary: string | null): Promise<void>;
};

/** The cache of a command stage, or null for a stage without `inputs`. */
export function stageCache(run: ActiveRun, def: CommandStageDef, index: number, cwd: string): StageCache | null {
  if (!isCacheable(def)) return null;
  const { invocation } = run.host;
  const settings = invocation.cache;
  const entry = run.store.manifest.commands[index - 1] as CommandEntry;
  const store = new CacheStore(settings.dir);
  let key: StageKey | null = null;
  let unkeyable: string | null = null;
  const lines: string[] = [];
  let captured = 0;

  return {
    async before() {
      if (!settings.enabled) {
        entry.cache = { result: "off", key: null, source_run_id: null, reason: "--no-cache" };
        return null;
      }
      try {
        key = computeStageKey(contextOf(run), def);
      } catch (error) {
        unkeyable = `inputs unreadable: ${errorMessage(error)}`;
      }
      let reason: string;
      if (key === null) {
        reason = unkeyable ?? "no key";
      } else {
        const found = await store.read(key.key);
        if (found !== null && !("corrupt" in found)) {
          const hit = await replayHit(run, def, index, cwd, key.key, found).catch((error) => errorMessage(error));
          if (typeof hit !== "string") {
            await store.touch(key.key);
            return hit;
          }
          reason = `cached outputs not restored: ${hit}`;
        } else {
          reason = found === null ? await missReason(store, run.pipeline.id, def.id, key) : `entry corrupted (${found.corrupt}); removed`;
        }
      }
      const record: CacheRecord = { result: "miss", key: key?.key ?? null, source_run_id: null, reason };
      entry.cache = record;
      if (!settings.failOnMiss) return null;
      return refusedMiss(run, entry, def, reason);
    },

    capture() {
      if (!settings.enabled || key === null) return () => {};
      const runId = run.runtime.runId;
      return run.runtime.events.subscribe((event: OrchestratorEvent) => {
        if (event.type !== "exec:begin" && event.type !== "exec:chunk") return;
        const payload = event.payload as { stageId?: string; runId: string };
        if (payload.stageId !== def.id || payload.runId !== runId) return;
        // Only the last attempt's output is the stage's: a retried attempt starts the record again.
        if (event.type === "exec:begin") {
          lines.length = 0;
          captured = 0;
          return;
        }
        if (captured > MAX_CACHED_OUTPUT_BYTES) return;
        const chunk = event.payload;
        const line = `${JSON.stringify({ stream: chunk.stream, data: chunk.data, ...(chunk.encoding ? { encoding: chunk.encoding } : {}) })}\n`;
        captured += line.length;
        lines.push(line);
      });
    },

    async after(status, summary) {
      if (!settings.enabled || key === null || status !== "succeeded") return;
      const record = entry.cache ?? { result: "miss", key: key.key, source_run_id: null, reason: null };
      if (captured > MAX_CACHED_OUTPUT_BYTES) {
        entry.cache = { ...record, stored: false, reason: `${record.reason ?? "miss"}; not stored: output over ${MAX_CACHED_OUTPUT_BYTES} bytes` };
        return;
      }
      try {
        const outputs = matchFiles(cwd, def.outputs ?? []).map((path) => {
          const file = join(cwd, path);
          return { path, bytes: readFileSync(file), mode: statSync(file).mode & 0o7777 };
        });
        const stored = await store.write({
          key: key.key,
          pipelineId: run.pipeline.id,
          stageId: def.id,
          taskId: run.runtime.taskId,
          runId: run.runtime.runId,
          fingerprint: key.fingerprint,
          summary,
          log: new TextEncoder().encode(lines.join("")),
          outputs,
        });
        await store.setLastKey(run.pipeline.id, def.id, key.key);
        storedBy.add(invocation);
        // Another run filled the same key first: its entry (from the same inputs) stays, this copy is dropped.
        entry.cache = stored ? { ...record, stored: true } : { ...record, stored: false, reason: `${record.reason ?? "miss"}; another run stored this key first` };
      } catch (error) {
        // The stage itself succeeded; the record says why a later run will miss.
        const message = `cannot store the cache entry in ${settings.dir}: ${errorMessage(error)}`;
        entry.cache = { ...record, stored: false, reason: `${record.reason ?? "miss"}; not stored: ${message}` };
        run.runtime.warn(`Stage '${def.id}': ${message}`);
      }
    },
  };
}

/** After the runs of an invocation that stored entries: the store is brought back under its size bound. */
export async function evictAfterRun(invocation: Invocation): Promise<void> {
  if (!storedBy.has(invocation)) return;
  try {
    await new CacheStore(invocation.cache.dir).evict(invocation.cache.maxBytes);
  } catch (error) {
    invocation.logger.warn(`Cache store ${invocation.cache.dir} not pruned: ${errorMessage(error)}`);
  }
}

/** `--fail-on-cache-miss`: the stage fails without running, with the miss's reason. */
function refusedMiss(run: ActiveRun, entry: CommandEntry, def: CommandStageDef, reason: string): StageOutcome {
  const now = new Date().toISOString();
  const summary = `Cache miss (--fail-on-cache-miss): ${reason}`;
  entry.status = "failed";
  entry.started_at ??= now;
  entry.completed_at = now;
  entry.exit_code = null;
  entry.summary = summary;
  run.store.saveSoon();
  return {
    status: "failed",
    exitCode: null,
    summary,
    note: `${entry.title}: ${summary}`,
    failure: { detail: `stage:${def.id}:cache-miss`, line: `Stage '${entry.title}' missed the cache (--fail-on-cache-miss): ${reason}.` },
  };
}

/** A hit: the outputs restored, the recorded output replayed, the entry `cached`. Throws when outputs cannot be written. */
async function replayHit(run: ActiveRun, def: CommandStageDef, index: number, cwd: string, key: string, found: StoredEntry): Promise<StageOutcome> {
  const { runtime } = run;
  const entry = run.store.manifest.commands[index - 1] as CommandEntry;
  const chunks: CachedChunk[] = [];
  for (const line of new TextDecoder().decode(found.log).split("\n")) {
    if (line === "") continue;
    const parsed = v.safeParse(CachedChunk, JSON.parse(line));
    if (!parsed.success) throw new Error(`output.ndjson: ${parsed.issues[0].message}`);
    chunks.push(parsed.output);
  }
  for (const [i, file] of found.entry.outputs.entries()) await restoreFile(join(cwd, file.path), found.outputs[i] as Uint8Array, file.mode);

  // Replayed like a live attempt: the recorder opens the stage's log and writes what the events say (the same lines,
  // with `cached: true`), printers and subscribers see the same events.
  const correlationId = crypto.randomUUID();
  const source = found.entry.run_id;
  await runtime.recorder.openStage(index, def.id, def.command);
  entry.log_path = rel(runtime.roots, runtime.recorder.stagePath(def.id) as string);
  entry.status = "running";
  entry.started_at = new Date().toISOString();
  entry.completed_at = null;
  entry.exit_code = null;
  entry.summary = null;
  run.store.saveSoon();
  await runtime.recorder.note(def.id, { type: "cache:hit", key, source_run_id: source });
  const events = new CommandEvents(runtime.events, {
    runId: runtime.runId,
    stageId: def.id,
    correlationId,
    command: def.command,
    args: [],
    cwd,
    sessionId: "",
    persisted: false,
    argv: ["/bin/sh", "-c", def.command],
    cached: true,
  });
  const sandbox = { sandboxState: "unsandboxed", sandboxBackend: null, landlockAbi: null } as const;
  await events.begin(1, sandbox);
  const onChunk = events.chunks(1);
  // The tails `exec:end` carries, kept as a live attempt keeps them (SPEC §14.4).
  const tails = { stdout: new TailBuffer(), stderr: new TailBuffer() };
  for (const recorded of chunks) {
    const raw = recorded.encoding === "base64" ? new Uint8Array(Buffer.from(recorded.data, "base64")) : new TextEncoder().encode(recorded.data);
    tails[recorded.stream].push(raw);
    await onChunk(new OutputChunk(recorded.stream, raw));
  }
  await events.end(1, sandbox, {
    exitCode: 0,
    signal: null,
    durationMs: 0,
    stdout: tails.stdout.text(),
    stderr: tails.stderr.text(),
    stdoutBytes: tails.stdout.totalBytes,
    stderrBytes: tails.stderr.totalBytes,
    timedOut: false,
    cancelledBy: null,
    spawnError: null,
  });
  await runtime.recorder.closeStage(def.id, { exit_code: 0, signal: null, duration_ms: 0 });

  const summary = found.entry.summary ?? "Restored from the stage cache";
  entry.status = "cached";
  entry.completed_at = new Date().toISOString();
  entry.exit_code = 0;
  entry.summary = summary;
  entry.error_file = null;
  entry.cache = { result: "hit", key, source_run_id: source, reason: null };
  run.store.saveSoon();
  return { status: "cached", exitCode: 0, summary, note: `${entry.title}: ${summary}`, failure: null };
}
