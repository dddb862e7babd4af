import { createHash } from "node:crypto";
import { chmodSync, lstatSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { RunFailedError } from "../core/errors.ts";

/**
 * Files of the session host under `<runs>/.sessions/` (directory mode 0700): `host.sock`, `host.json` (state),
 * `host.log`, `spawn.lock`. A Unix socket path is limited to ~104 bytes; when `<runs>` is too deep the socket goes to
 * a private per-user directory under the system temp dir instead, named by a hash of `<runs>`.
 */

const MAX_SOCKET_PATH = 100;

export type HostPaths = { dir: string; socket: string; state: string; log: string; lock: string };

export function hostPaths(runsRoot: string): HostPaths {
  const dir = join(resolve(runsRoot), ".sessions");
  let socket = join(dir, "host.sock");
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    const hash = createHash("sha256").update(resolve(runsRoot)).digest("hex").slice(0, 16);
    socket = join(tmpdir(), `codex-orch-${process.getuid?.() ?? "u"}`, `${hash}.sock`);
  }
  return { dir, socket, state: join(dir, "host.json"), log: join(dir, "host.log"), lock: join(dir, "spawn.lock") };
}

/** Creates the owner-only directories of the host files (and of a relocated socket). */
export function ensureHostDirs(paths: HostPaths): void {
  for (const dir of new Set([paths.dir, join(paths.socket, "..")])) {
    try {
      // Only the leaf is private: `<runs>` itself keeps the usual mode.
      mkdirSync(join(dir, ".."), { recursive: true });
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const stat = lstatSync(dir);
      if (!stat.isDirectory()) throw new Error("not a directory");
      const uid = process.getuid?.();
      if (uid !== undefined && stat.uid !== uid) throw new Error("owned by another user");
      if ((stat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
    } catch (error) {
      throw new RunFailedError(`Cannot prepare session directory ${dir}: ${(error as Error).message}`, { cause: error });
    }
  }
}
