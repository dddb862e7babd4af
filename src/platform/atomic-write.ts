import { mkdir, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export type AtomicWriteOptions = {
  /** Permissions of the new file (default 0644; the approval cache uses 0600). */
  mode?: number;
  /** Also fsync the directory after the rename, best effort (so the rename itself survives a power loss). */
  syncDir?: boolean;
  /**
   * fsync the file before the rename (default true). The stage cache restores outputs without it: a torn file after
   * a power loss is what rebuilding the stage fixes, and an fsync per restored file would cost more than the stage.
   */
  sync?: boolean;
};

/**
 * Writes `data` to `path` so that readers see either the old or the new content, never a partial file: a temporary
 * file in the same directory (same filesystem, so the rename is atomic), fsync, rename. Parent directories are
 * created. On failure the temporary file is removed and the error rethrown. The one async atomic write of the
 * program (the manifest store's synchronous variant is in run/manifest-store.ts for its hot path).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Buffer.from(crypto.getRandomValues(new Uint8Array(4))).toString("hex")}.tmp`);
  let renamed = false;
  try {
    const handle = await open(temp, "wx", options.mode ?? 0o644);
    try {
      await handle.writeFile(data);
      if (options.sync !== false) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    renamed = true;
  } finally {
    if (!renamed) await unlink(temp).catch(() => {});
  }
  if (options.syncDir === true) {
    try {
      const handle = await open(dir, "r");
      await handle.sync().finally(() => handle.close());
    } catch {
      // Directory fsync is best effort (not supported everywhere).
    }
  }
}
