import { closeSync, fsync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import * as v from "valibot";
import { RunFailedError, errorMessage } from "../core/errors.ts";
import { hexOf, randomHex } from "../core/ids.ts";
import { redactJson } from "../core/redact.ts";
import type { CommandEntry, Manifest } from "../core/schemas/manifest.ts";
import { prettyJson } from "./atomic-write.ts";
import { instructionFields, type LoadedInstructions } from "./instructions.ts";
import { removeStaleTempFiles } from "./stale-temp-files.ts";
import { orderManifest } from "./manifest-order.ts";
import { rel, runDir, type RunFiles, runFiles, type StoreRoots } from "./paths.ts";

export const HEARTBEAT_INTERVAL_SECONDS = 5;
export const HEARTBEAT_STALE_AFTER_SECONDS = 30;
/** How long `saveSoon()` may wait for more changes to write with (see there). */
export const SAVE_SOON_MS = 25;

/** A stage as the manifest needs it at creation (§8.2). */
export type ManifestStageInput = {
  id: string;
  title: string;
  command: string | null;
  kind: "command" | "subpipeline";
  /** `commands[].definition_hash` (issue 22.2). */
  definitionHash?: string | null;
  /** `commands[].needs` (issue 17). */
  needs?: readonly string[];
};

export type CreateManifestInput = {
  roots: StoreRoots;
  taskId: string;
  runId: string;
  taskSlug: string | null;
  parentRunId: string | null;
  pipelineId: string;
  pipelineTitle: string;
  /** `pipeline_hash` (issue 22.2): what resume compares the current definition with. */
  pipelineHash?: string | null;
  approvalPolicy: string | null;
  /** `queued` for pipeline runs, `in_progress` for exec (§8.1). */
  status: "queued" | "in_progress";
  stages: readonly ManifestStageInput[];
  instructions: LoadedInstructions;
  /** What an exec run runs (`exec`), known at creation: written with the first manifest rather than right after. */
  exec?: Manifest["exec"];
};

export type StoreEffects = { now?: () => Date; randomBytes?: (size: number) => Uint8Array };

/**
 * What the run does when its store cannot be written (issue 10, B2; wired by `bindRunStore` in run-log.ts):
 * `reclaim` frees disk space after an ENOSPC (`bytes`: the size of what was being written) and says whether it freed
 * any — then the write is retried once; `fault` hears of a write that failed for good.
 */
export type StoreFaultHandlers = {
  reclaim: (error: unknown, path: string, bytes: number) => Promise<boolean>;
  fault: (error: unknown, path: string) => void;
};

/** A full disk (or quota): the only failure that freeing space can cure. */
export function isNoSpace(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ENOSPC" || code === "EDQUOT";
}

/** A fresh `commands[]` entry: `pending`, every time, code, summary and path null (§8.2). */
export function pendingEntry(stage: ManifestStageInput, index: number): CommandEntry {
  return {
    index,
    id: stage.id,
    title: stage.title,
    command: stage.command,
    kind: stage.kind,
    definition_hash: stage.definitionHash ?? null,
    needs: [...(stage.needs ?? [])],
    status: "pending",
    started_at: null,
    completed_at: null,
    exit_code: null,
    summary: null,
    log_path: null,
    error_file: null,
    sub_run_id: null,
    skipped_because: null,
  };
}

/** The manifest of a new run (§8.1), fields in the documented order. */
export function newManifest(input: CreateManifestInput, now: Date, resumeToken: string): Manifest {
  const dir = runDir(input.roots, input.taskId, input.runId);
  const files = runFiles(dir);
  const iso = now.toISOString();
  const artifactRoot = rel(input.roots, dir);
  const instructions = instructionFields(input.instructions);
  return {
    version: 1,
    task_id: input.taskId,
    task_slug: input.taskSlug,
    run_id: input.runId,
    parent_run_id: input.parentRunId,
    pipeline_id: input.pipelineId,
    pipeline_title: input.pipelineTitle,
    pipeline_hash: input.pipelineHash ?? null,
    runner: "codex-cli",
    approval_policy: input.approvalPolicy,
    status: input.status,
    status_detail: null,
    started_at: iso,
    completed_at: null,
    updated_at: iso,
    heartbeat_at: iso,
    heartbeat_interval_seconds: HEARTBEAT_INTERVAL_SECONDS,
    heartbeat_stale_after_seconds: HEARTBEAT_STALE_AFTER_SECONDS,
    artifact_root: artifactRoot,
    compat_path: artifactRoot,
    log_path: rel(input.roots, files.runnerLog),
    summary: null,
    metrics_recorded: false,
    resume_token: resumeToken,
    resume_events: [],
    approvals: [],
    commands: input.stages.map((stage, i) => pendingEntry(stage, i + 1)),
    child_runs: [],
    run_summary_path: null,
    instructions_hash: instructions.instructions_hash,
    instructions_sources: instructions.instructions_sources,
    schema_version: 1,
    instructions: instructions.instructions,
    toolRuns: [],
    metrics: null,
    notifications: null,
    ...(input.exec !== undefined ? { exec: input.exec } : {}),
  };
}

const encoder = new TextEncoder();

/**
 * Writes `data` to `path` atomically and synchronously: a temporary file in the same directory, optionally fsync'd,
 * then renamed over `path`, so readers — and a process killed at any moment — see the old or the new content, never a
 * partial file. Parent directories are created; on failure the temporary file is removed and the error rethrown.
 *
 * Synchronous on purpose: a manifest is a few KiB, and six awaited file-system calls (each a round trip to the thread
 * pool) cost milliseconds per save where the calls themselves cost microseconds (measured: docs/benchmarks.md).
 *
 * Durability rule: `durable` saves are fsync'd — the run's creation and every save that records a new run `status`.
 * `durable: true` fsyncs before the rename. The two others return a promise and flush on the thread pool, so that
 * the flush overlaps with the caller's next work (the caller awaits it before anything depends on the file being on
 * disk: the run's end): `"after"` renames first and fsyncs the same file right after (for a
 * file that replaces another one: the manifest), `"pool"` fsyncs before the rename (a new file: `run-summary.json`).
 * Other saves (stage progress, heartbeats, paths, metrics flags, `.resume-token`) are atomic but not fsync'd: a
 * crashed process loses nothing (the data is in the page cache); a power loss may bring back the last durable
 * version, which is what recovery after a crash at that point sees anyway. (ext4, the usual case, also flushes a
 * file's data before a rename that replaces another file, so an empty manifest cannot appear there; the same holds
 * for the moment between an `"after"` rename and its fsync.)
 */
export function writeFileAtomicSync(path: string, data: string, options: { durable: true | false }): void;
export function writeFileAtomicSync(path: string, data: string, options: { durable: "after" | "pool" }): Promise<void>;
export function writeFileAtomicSync(path: string, data: string, options: { durable: boolean | "after" | "pool" }): Promise<void> | undefined {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomHex(4)}.tmp`);
  let fd: number;
  try {
    fd = openSync(temp, "wx", 0o644);
  } catch (error) {
    // The directory almost always exists: create it only when it does not (one syscall less per save).
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    mkdirSync(dir, { recursive: true });
    fd = openSync(temp, "wx", 0o644);
  }
  // Closed at most once: another thread of the runtime may reuse a descriptor number as soon as it is closed.
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    closeSync(fd);
  };
  const discard = () => {
    try {
      close();
    } catch {}
    try {
      unlinkSync(temp);
    } catch {}
  };
  try {
    const bytes = encoder.encode(data);
    let offset = 0;
    while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset);
    if (options.durable === true) fsyncSync(fd);
  } catch (error) {
    discard();
    throw error;
  }
  if (options.durable === "pool") {
    return flush(fd).then(
      () => {
        try {
          close();
          renameSync(temp, path);
        } catch (error) {
          discard();
          throw error;
        }
      },
      (error: unknown) => {
        discard();
        throw error;
      },
    );
  }
  try {
    if (options.durable !== "after") close();
    renameSync(temp, path);
  } catch (error) {
    discard();
    throw error;
  }
  if (options.durable !== "after") return undefined;
  return flush(fd).finally(() => {
    try {
      close();
    } catch {}
  });
}

/** fsync(fd) on the thread pool. */
function flush(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fsync(fd, (error) => (error ? reject(error) : resolve()));
  });
}

/** A manifest (or any record) as the run store writes it: pretty JSON + newline, secrets redacted. */
function manifestText(value: unknown): string {
  return redactJson(prettyJson(value));
}

function problemOf(issue: v.BaseIssue<unknown>): string {
  const keys = (issue.path ?? []).map((item) => String(item.key).replace(/~/g, "~0").replace(/\//g, "~1"));
  return keys.length === 0 ? issue.message : `/${keys.join("/")}: ${issue.message}`;
}

/** Reads and validates a manifest; any problem → RunFailedError `Invalid manifest <abs path>: <problem>` (exit 1). */
export async function loadManifest(path: string): Promise<Manifest> {
  const abs = resolve(path);
  const fail = (problem: string, cause: unknown) => new RunFailedError(`Invalid manifest ${abs}: ${problem}`, { cause });
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(abs, "utf8"));
  } catch (error) {
    throw fail(errorMessage(error), error);
  }
  // The schema module is loaded by the first read of a manifest: a new run only writes one (start-up, issue 21).
  const { Manifest: ManifestSchema } = await import("../core/schemas/manifest.ts");
  const result = v.safeParse(ManifestSchema, parsed);
  if (!result.success) throw fail(problemOf(result.issues[0]), result.issues);
  // The parsed input, not `result.output`: unknown keys and their order survive a load/save round trip.
  return parsed as Manifest;
}

/**
 * The manifest of one run and its saves. `manifest` is mutated in place by the executor; `save()` writes it
 * atomically with `updated_at = now`, synchronously (so saves never overlap and the file always holds the state of
 * the latest save), fsync'd when the run `status` differs from the last fsync'd save (see `writeFileAtomicSync`).
 */
export class ManifestStore {
  private readonly now: () => Date;
  /** The run status of the last fsync'd save (null: none yet). */
  private durableStatus: string | null = null;
  /** A `saveSoon()` not yet carried out by any save. */
  private soon: ReturnType<typeof setTimeout> | null = null;
  /** The error of a failed deferred save, rethrown by `idle()`. */
  private deferredFailure: unknown = null;
  private handlers: StoreFaultHandlers | null = null;
  /** A reclaim in progress: writes failing meanwhile wait for it instead of cutting more. */
  private reclaiming: Promise<boolean> | null = null;
  /** Length of the last manifest text written or tried (what a reclaim must make room for). */
  private textBytes = 0;
  /** The fsyncs of saves renamed before being flushed (`durable: "after"`), until `synced()` has seen them. */
  private pendingSync: Promise<void> | null = null;
  private syncFailure: unknown = null;

  private constructor(
    readonly manifest: Manifest,
    readonly files: RunFiles,
    effects: StoreEffects,
  ) {
    this.now = effects.now ?? (() => new Date());
  }

  /**
   * Creates the run directory with `errors/`, saves the new manifest (durable: fsync'd before its rename, so before
   * any command starts), then writes `.resume-token` (once, here). The fsync stays on this thread: on the thread pool
   * (`durable: "after"`) the run waited ~2 ms more for it, measured — it was the process's first job there.
   */
  static async create(input: CreateManifestInput, effects: StoreEffects = {}): Promise<ManifestStore> {
    const now = (effects.now ?? (() => new Date()))();
    const random = effects.randomBytes ?? ((size: number) => crypto.getRandomValues(new Uint8Array(size)));
    const token = hexOf(random(32));
    const manifest = newManifest(input, now, token);
    const files = runFiles(runDir(input.roots, input.taskId, input.runId));
    mkdirSync(files.errorsDir, { recursive: true });
    const store = new ManifestStore(manifest, files, effects);
    writeFileAtomicSync(files.manifest, manifestText(orderManifest(manifest)), { durable: true });
    store.durableStatus = manifest.status;
    // Not fsync'd: the durable manifest holds the same token (`resume_token`), which resume reads first.
    writeFileAtomicSync(files.resumeToken, `${token}\n`, { durable: false });
    return store;
  }

  /** Opens an existing run (resume): loads and validates `<rundir>/manifest.json`. */
  static async open(manifestPath: string, effects: StoreEffects = {}): Promise<ManifestStore> {
    const abs = resolve(manifestPath);
    const store = new ManifestStore(await loadManifest(abs), runFiles(dirname(abs)), effects);
    // A process killed during a save leaves its temporary file behind; the run's next owner clears it.
    removeStaleTempFiles(store.files.dir);
    return store;
  }

  setFaultHandlers(handlers: StoreFaultHandlers): void {
    this.handlers = handlers;
  }

  /**
   * Writes the manifest now; the promise rejects when the write failed. With fault handlers, an ENOSPC frees space and
   * the save is retried once (with the manifest as it is then), and a final failure is reported as the run's fault.
   * `syncAfter`: a save that records a new status is renamed at once and fsync'd in the background (the run's final
   * status, whose flush then overlaps with `run-summary.json` and the metrics line); `synced()` waits for it.
   */
  save(options: { syncAfter?: boolean } = {}): Promise<void> {
    this.cancelSoon();
    const syncAfter = options.syncAfter === true;
    try {
      this.writeNow(syncAfter);
      return Promise.resolve();
    } catch (error) {
      if (this.handlers === null) return Promise.reject(error);
      // Twice the text: the temporary file is written while the old manifest still exists.
      return this.recover(error, this.files.manifest, 2 * this.textBytes, () => this.writeNow(syncAfter));
    }
  }

  /** One synchronous save (its fsync, if any, in the background with `syncAfter`). */
  private writeNow(syncAfter = false): void {
    this.manifest.updated_at = this.now().toISOString();
    const status = this.manifest.status;
    const durable = status !== this.durableStatus;
    const text = manifestText(orderManifest(this.manifest));
    this.textBytes = text.length;
    if (durable && syncAfter) this.track(writeFileAtomicSync(this.files.manifest, text, { durable: "after" }), this.files.manifest);
    else writeFileAtomicSync(this.files.manifest, text, { durable });
    if (durable) this.durableStatus = status;
  }

  /** Keeps a background fsync for `synced()`; its failure is the run's fault (as a failed save's is). */
  private track(sync: Promise<void>, path: string): void {
    const tracked = sync.catch((error: unknown) => {
      this.syncFailure ??= error;
      this.handlers?.fault(error, path);
    });
    const before = this.pendingSync;
    this.pendingSync = before === null ? tracked : Promise.all([before, tracked]).then(() => undefined);
  }

  /**
   * Resolves once every save so far is on disk as the durability rule wants it (the background fsyncs are done);
   * rejects with the error of one that failed.
   */
  async synced(): Promise<void> {
    const pending = this.pendingSync;
    if (pending !== null) {
      await pending;
      if (this.pendingSync === pending) this.pendingSync = null;
    }
    const failure = this.syncFailure;
    this.syncFailure = null;
    if (failure !== null) throw failure;
  }

  /**
   * Runs another write of this run's store (`path`, about `bytes` long) under the same rules as `save`: an ENOSPC
   * frees space and retries once; a final failure is the run's fault. Without fault handlers it only runs `write`.
   */
  async withRoom<T>(path: string, bytes: number | (() => number), write: () => T | Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (this.handlers === null) throw error;
      return this.recover(error, path, typeof bytes === "number" ? bytes : bytes(), write);
    }
  }

  private async recover<T>(error: unknown, path: string, bytes: number, retry: () => T | Promise<T>): Promise<T> {
    const handlers = this.handlers as StoreFaultHandlers;
    if (!isNoSpace(error)) {
      handlers.fault(error, path);
      throw error;
    }
    this.reclaiming ??= handlers.reclaim(error, path, bytes).finally(() => {
      this.reclaiming = null;
    });
    const freed = await this.reclaiming.catch(() => false);
    if (!freed) {
      handlers.fault(error, path);
      throw error;
    }
    try {
      return await retry();
    } catch (again) {
      handlers.fault(again, path);
      throw again;
    }
  }

  /**
   * Saves within SAVE_SOON_MS unless another save comes first and covers it. Quick stages then share one write (the
   * manifest is rewritten whole, so a save per stage grows with the run: ~0.6 ms at 20 stages, measured), while the
   * state on disk never lags more than SAVE_SOON_MS behind — less than a heartbeat, and any `save()` flushes it.
   * A failure is kept for `idle()`.
   */
  saveSoon(): void {
    if (this.soon !== null) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      this.save().catch((error) => {
        this.deferredFailure ??= error;
      });
    }, SAVE_SOON_MS);
  }

  /**
   * Carries out a pending `saveSoon()` now and waits for the background fsyncs; rejects with the error of a failed
   * deferred save or fsync, if any.
   */
  async idle(): Promise<void> {
    if (this.soon !== null) await this.save();
    const failure = this.deferredFailure;
    this.deferredFailure = null;
    await this.synced();
    if (failure !== null) throw failure;
  }

  private cancelSoon(): void {
    if (this.soon === null) return;
    clearTimeout(this.soon);
    this.soon = null;
  }
}
