import { mkdir, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { redact } from "../core/redact.ts";

/**
 * Writes `data` to `path` so that readers see either the old or the new content, never a partial file: a temporary
 * file in the same directory (same filesystem, so the rename is atomic), fsync, rename. Parent directories are
 * created. On failure the temporary file is removed and the error rethrown.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Buffer.from(crypto.getRandomValues(new Uint8Array(4))).toString("hex")}.tmp`);
  let renamed = false;
  try {
    const handle = await open(temp, "wx", 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    renamed = true;
  } finally {
    if (!renamed) await unlink(temp).catch(() => {});
  }
}

/** Pretty JSON (2 spaces). `trailingNewline` defaults to true; `state.json` is written without one (SPEC §7.2). */
export function prettyJson(value: unknown, trailingNewline = true): string {
  const text = JSON.stringify(value, null, 2);
  return trailingNewline ? `${text}\n` : text;
}

export async function writeJsonAtomic(
  path: string,
  value: unknown,
  options: { trailingNewline?: boolean } = {},
): Promise<void> {
  // Every JSON record the run store writes goes through here: secrets never reach the disk (issue 10).
  await writeFileAtomic(path, redact(prettyJson(value, options.trailingNewline ?? true)));
}
