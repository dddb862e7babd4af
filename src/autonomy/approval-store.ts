import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import * as v from "valibot";
import { RunFailedError, errorMessage } from "../core/errors.ts";
import { type ApprovalCacheFile, type ApprovalGrant, ApprovalCacheFile as CacheSchema } from "../core/schemas/approvals.ts";
import { writeFileAtomic } from "../platform/atomic-write.ts";
import { withLock } from "../platform/file-lock.ts";
import { approvalCachePath } from "./xdg-paths.ts";

export type NewGrant = {
  key: string;
  source: ApprovalGrant["source"];
  grantedAt?: string;
  kind?: ApprovalGrant["kind"];
  tool?: string;
  description?: string;
  cwd?: string;
  sandboxMode?: string | null;
};

/** Where cached approval grants live. The orchestrator only reads it, and writes on "approve always". */
export interface ApprovalStore {
  lookup(key: string): Promise<ApprovalGrant | undefined>;
  grant(grant: NewGrant): Promise<ApprovalGrant>;
  /** True when a grant was removed. */
  revoke(key: string): Promise<boolean>;
  list(): Promise<ApprovalGrant[]>;
}

/**
 * The global approval cache: one JSON file (mode 0600, directory 0700) shared by every run of the user. Reads take
 * no lock (writes are atomic renames), so `never` can consult it without ever blocking; changes are read-modify-write
 * under a lock file so concurrent CLIs never lose a grant.
 */
export class FileApprovalStore implements ApprovalStore {
  readonly path: string;
  private readonly clock: () => Date;

  constructor(path: string = approvalCachePath(), options: { clock?: () => Date } = {}) {
    this.path = path;
    this.clock = options.clock ?? (() => new Date());
  }

  async lookup(key: string): Promise<ApprovalGrant | undefined> {
    const file = await this.read();
    return Object.hasOwn(file.grants, key) ? file.grants[key] : undefined;
  }

  async list(): Promise<ApprovalGrant[]> {
    const file = await this.read();
    return Object.values(file.grants).sort((a, b) => a.grantedAt.localeCompare(b.grantedAt) || a.key.localeCompare(b.key));
  }

  async grant(grant: NewGrant): Promise<ApprovalGrant> {
    const record: ApprovalGrant = { ...grant, grantedAt: grant.grantedAt ?? this.clock().toISOString() };
    await this.update((file) => {
      file.grants[record.key] = record;
      return true;
    });
    return record;
  }

  async revoke(key: string): Promise<boolean> {
    return this.update((file) => {
      if (!Object.hasOwn(file.grants, key)) return false;
      delete file.grants[key];
      return true;
    });
  }

  private async read(): Promise<ApprovalCacheFile> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, grants: {} };
      throw new RunFailedError(`Cannot read approval cache ${this.path}: ${errorMessage(error)}`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new RunFailedError(`Corrupted approval cache ${this.path}: ${errorMessage(error)}`);
    }
    const parsed = v.safeParse(CacheSchema, raw);
    if (!parsed.success) {
      const issue = parsed.issues[0];
      const pointer = (issue.path ?? []).map((item) => `/${String(item.key)}`).join("");
      throw new RunFailedError(`Corrupted approval cache ${this.path}: ${pointer}: ${issue.message}`);
    }
    return parsed.output;
  }

  private async update(change: (file: ApprovalCacheFile) => boolean): Promise<boolean> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    // Ten attempts (about 6.5 s of backoff): approvals are granted by people and scripts side by side, rarely contended.
    const lock = `${this.path}.lock`;
    return withLock(lock, { busyMessage: `Timed out waiting for the lock ${lock}.`, attempts: 10 }, async () => {
      const file = await this.read();
      const changed = change(file);
      if (changed) await writeAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`);
      return changed;
    });
  }
}

/** Temp file (0600) + fsync + rename + directory fsync: a reader sees the old file or the new one, never half of one. */
async function writeAtomic(path: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(path, text, { mode: 0o600, syncDir: true });
  } catch (error) {
    throw new RunFailedError(`Cannot write approval cache ${path}: ${errorMessage(error)}`);
  }
}

/** An in-process store (for embedding and for callers that must not touch the user's cache). */
export class MemoryApprovalStore implements ApprovalStore {
  private readonly grants = new Map<string, ApprovalGrant>();
  async lookup(key: string): Promise<ApprovalGrant | undefined> {
    return this.grants.get(key);
  }
  async list(): Promise<ApprovalGrant[]> {
    return [...this.grants.values()];
  }
  async grant(grant: NewGrant): Promise<ApprovalGrant> {
    const record: ApprovalGrant = { ...grant, grantedAt: grant.grantedAt ?? new Date().toISOString() };
    this.grants.set(record.key, record);
    return record;
  }
  async revoke(key: string): Promise<boolean> {
    return this.grants.delete(key);
  }
}
