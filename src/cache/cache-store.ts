import { chmod, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import * as v from "valibot";
import { errorMessage } from "../core/errors.ts";
import { randomHex } from "../core/ids.ts";
import { redactJson } from "../core/redact.ts";
import { CacheEntry, type CacheFile, type CacheFingerprint, CacheStageIndex, type CacheStats } from "../core/schemas/cache.ts";
import { writeFileAtomic } from "../platform/atomic-write.ts";
import { withLock } from "../platform/file-lock.ts";
import { sha256Of, sha256Hex } from "../core/sha256.ts";

/**
 * The stage cache's store (issue 18): a directory of entries addressed by key (`entries/<2 hex>/<64 hex>/`), each
 * with `entry.json` (what it is and the size and digest of every other file), `output.ndjson` (the stage's output
 * chunks) and `files/<n>` (its output files).
 *
 * - **Atomic:** an entry is written complete in `tmp/` and renamed into place; a rename that finds the entry already
 *   there (another run filled the same key) drops its own copy, so two writers leave one valid entry.
 * - **Checked:** a read verifies every file's size and digest before anything is restored; an entry that fails is a
 *   miss (with its reason) and is removed, never restored.
 * - **Bounded:** `evict` removes the least recently used entries (a hit touches its entry) until the store is under
 *   its size bound, under `.prune.lock`.
 */
export class CacheStore {
  constructor(readonly dir: string) {}

  entryDir(key: string): string {
    const hex = key.slice("sha256:".length);
    return join(this.dir, "entries", hex.slice(0, 2), hex);
  }

  private stageIndexPath(pipelineId: string, stageId: string): string {
    return join(this.dir, "stages", `${sha256Hex(`${pipelineId}\0${stageId}`)}.json`);
  }

  /**
   * The verified entry of `key`, `null` when there is none, or why it cannot be used (it is then removed, unless
   * `keep`: `plan --explain` writes nothing).
   */
  async read(key: string, options: { keep?: boolean } = {}): Promise<StoredEntry | null | { corrupt: string }> {
    const corrupt = (dir: string, reason: string) => (options.keep === true ? { corrupt: reason } : this.corrupt(dir, reason));
    const dir = this.entryDir(key);
    let text: string;
    try {
      text = await readFile(join(dir, "entry.json"), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "ENOTDIR") return null;
      return corrupt(dir, `entry.json unreadable: ${errorMessage(error)}`);
    }
    let entry: CacheEntry;
    try {
      const parsed = v.safeParse(CacheEntry, JSON.parse(text));
      if (!parsed.success) return corrupt(dir, `entry.json invalid: ${parsed.issues[0].message}`);
      entry = parsed.output;
    } catch (error) {
      return corrupt(dir, `entry.json is not JSON: ${errorMessage(error)}`);
    }
    if (entry.key !== key) return corrupt(dir, "entry.json names another key");
    const log = await verified(join(dir, "output.ndjson"), entry.log);
    if (typeof log === "string") return corrupt(dir, `output.ndjson ${log}`);
    const outputs: Uint8Array[] = [];
    for (const [i, file] of entry.outputs.entries()) {
      const bytes = await verified(join(dir, "files", String(i)), file);
      if (typeof bytes === "string") return corrupt(dir, `output ${file.path} ${bytes}`);
      outputs.push(bytes);
    }
    return { entry, log, outputs };
  }

  /** Marks the entry used now (least-recently-used order). */
  async touch(key: string): Promise<void> {
    const now = new Date();
    await utimes(this.entryDir(key), now, now).catch(() => {});
  }

  private async corrupt(dir: string, reason: string): Promise<{ corrupt: string }> {
    await this.remove(dir);
    return { corrupt: reason };
  }

  /** Removes an entry directory: renamed away first, so no reader ever sees half of it. */
  private async remove(dir: string): Promise<void> {
    const trash = join(this.dir, "tmp", `removed-${process.pid}-${randomHex(4)}`);
    try {
      await mkdir(dirname(trash), { recursive: true });
      await rename(dir, trash);
    } catch {
      return;
    }
    await rm(trash, { recursive: true, force: true });
  }

  /**
   * Stores an entry for `key` (complete in `tmp/`, then one rename). Returns false when another writer stored the
   * same key first (its entry stays: it was made from the same inputs).
   */
  async write(input: NewEntry): Promise<boolean> {
    const tmp = join(this.dir, "tmp", `${process.pid}-${randomHex(6)}`);
    await mkdir(join(tmp, "files"), { recursive: true });
    try {
      const outputs: CacheFile[] = [];
      for (const [i, file] of input.outputs.entries()) {
        await writeFile(join(tmp, "files", String(i)), file.bytes);
        outputs.push({ path: file.path, size: file.bytes.byteLength, sha256: sha256Of(file.bytes), mode: file.mode });
      }
      await writeFile(join(tmp, "output.ndjson"), input.log);
      const log: CacheFile = { path: "output.ndjson", size: input.log.byteLength, sha256: sha256Of(input.log), mode: 0o644 };
      const entry: CacheEntry = {
        version: 1,
        key: input.key,
        pipeline_id: input.pipelineId,
        stage_id: input.stageId,
        task_id: input.taskId,
        run_id: input.runId,
        created_at: new Date().toISOString(),
        fingerprint: input.fingerprint,
        exit_code: 0,
        summary: input.summary,
        outputs,
        log,
        bytes: log.size + outputs.reduce((n, f) => n + f.size, 0),
      };
      // Secrets never reach the store: the summary and everything else pass the run's redaction.
      await writeFile(join(tmp, "entry.json"), redactJson(`${JSON.stringify(entry, null, 2)}\n`));
      const final = this.entryDir(input.key);
      await mkdir(dirname(final), { recursive: true });
      try {
        await rename(tmp, final);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EEXIST" || code === "ENOTEMPTY") return false;
        throw error;
      }
      return true;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** The key last stored for a pipeline's stage (to explain a miss), or null. */
  async lastKey(pipelineId: string, stageId: string): Promise<string | null> {
    try {
      const parsed = v.safeParse(CacheStageIndex, JSON.parse(await readFile(this.stageIndexPath(pipelineId, stageId), "utf8")));
      return parsed.success ? parsed.output.key : null;
    } catch {
      return null;
    }
  }

  async setLastKey(pipelineId: string, stageId: string, key: string): Promise<void> {
    const index: CacheStageIndex = { version: 1, pipeline_id: pipelineId, stage_id: stageId, key, updated_at: new Date().toISOString() };
    await writeFileAtomic(this.stageIndexPath(pipelineId, stageId), `${JSON.stringify(index)}\n`, { sync: false });
  }

  /** The fingerprint of a stored entry, unverified (only used to word a miss), or null. */
  async fingerprint(key: string): Promise<CacheFingerprint | null> {
    try {
      const parsed = v.safeParse(CacheEntry, JSON.parse(await readFile(join(this.entryDir(key), "entry.json"), "utf8")));
      return parsed.success ? parsed.output.fingerprint : null;
    } catch {
      return null;
    }
  }

  /** Every entry with its size and last use, least recently used first. */
  async list(): Promise<ListedEntry[]> {
    const root = join(this.dir, "entries");
    const out: ListedEntry[] = [];
    for (const prefix of await readdir(root).catch(() => [] as string[])) {
      for (const hex of await readdir(join(root, prefix)).catch(() => [] as string[])) {
        const dir = join(root, prefix, hex);
        const info = await stat(dir).catch(() => null);
        if (info === null || !info.isDirectory()) continue;
        out.push({ key: `sha256:${hex}`, dir, bytes: await entryBytes(dir), usedAt: info.mtimeMs });
      }
    }
    return out.sort((a, b) => a.usedAt - b.usedAt);
  }

  /** `cache stats`: what the store holds against its bound. */
  async stats(maxBytes: number): Promise<CacheStats> {
    const entries = await this.list();
    const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
    return {
      dir: this.dir,
      entries: entries.length,
      bytes: entries.reduce((n, e) => n + e.bytes, 0),
      max_bytes: maxBytes,
      oldest_used_at: iso(entries[0]?.usedAt),
      newest_used_at: iso(entries.at(-1)?.usedAt),
    };
  }

  /** Removes least recently used entries until the store holds at most `maxBytes`; returns what was removed. */
  async evict(maxBytes: number): Promise<{ removed: number; removedBytes: number; entries: number; bytes: number }> {
    return withLock(join(this.dir, ".prune.lock"), { busyMessage: `Cache store ${this.dir} is being pruned by another process.` }, async () => {
      const entries = await this.list();
      let bytes = entries.reduce((n, e) => n + e.bytes, 0);
      let removed = 0;
      let removedBytes = 0;
      for (const entry of entries) {
        if (bytes <= maxBytes) break;
        await this.remove(entry.dir);
        bytes -= entry.bytes;
        removed += 1;
        removedBytes += entry.bytes;
      }
      await this.removeStaleTemp();
      return { removed, removedBytes, entries: entries.length - removed, bytes };
    });
  }

  /** Leftovers of writers that died mid-entry (older than an hour: a live writer is never that slow). */
  private async removeStaleTemp(): Promise<void> {
    const tmp = join(this.dir, "tmp");
    for (const name of await readdir(tmp).catch(() => [] as string[])) {
      const info = await stat(join(tmp, name)).catch(() => null);
      if (info !== null && Date.now() - info.mtimeMs > 3_600_000) await rm(join(tmp, name), { recursive: true, force: true });
    }
  }
}

/** A verified entry: its record and the bytes of its log and output files. */
export type StoredEntry = { entry: CacheEntry; log: Uint8Array; outputs: Uint8Array[] };

export type NewEntry = {
  key: string;
  pipelineId: string;
  stageId: string;
  taskId: string;
  runId: string;
  fingerprint: CacheFingerprint;
  summary: string | null;
  log: Uint8Array;
  outputs: { path: string; bytes: Uint8Array; mode: number }[];
};

export type ListedEntry = { key: string; dir: string; bytes: number; usedAt: number };

/** The bytes of a file if its size and digest are the recorded ones, else what is wrong with it. */
async function verified(path: string, file: CacheFile): Promise<Uint8Array | string> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    return `unreadable: ${errorMessage(error)}`;
  }
  if (bytes.byteLength !== file.size) return `truncated or grown (${bytes.byteLength} of ${file.size} bytes)`;
  if (sha256Of(bytes) !== file.sha256) return "checksum mismatch";
  return bytes;
}

/** The size an entry counts for: the one it recorded, else (unreadable record) what its files take. */
async function entryBytes(dir: string): Promise<number> {
  try {
    const parsed = v.safeParse(CacheEntry, JSON.parse(await readFile(join(dir, "entry.json"), "utf8")));
    if (parsed.success) return parsed.output.bytes;
  } catch {
    // Counted from the files below.
  }
  let total = 0;
  const walk = async (d: string) => {
    for (const name of await readdir(d).catch(() => [] as string[])) {
      const info = await stat(join(d, name)).catch(() => null);
      if (info === null) continue;
      if (info.isDirectory()) await walk(join(d, name));
      else total += info.size;
    }
  };
  await walk(dir);
  return total;
}

/** Writes a restored output file: whole or not at all (temporary file, rename), with its recorded mode. */
export async function restoreFile(path: string, bytes: Uint8Array, mode: number): Promise<void> {
  await writeFileAtomic(path, bytes, { sync: false, mode: mode & 0o777 });
  await chmod(path, mode & 0o7777);
}
