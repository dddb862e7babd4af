import { join } from "node:path";

/**
 * How to run this program's CLI again: the compiled executable itself, or bun with the source entry point (tests and
 * benches run from source too). Used to start the session host and the sandbox helper.
 */
export function selfCommand(): string[] {
  if (import.meta.url.includes("$bunfs") || import.meta.url.includes("~BUN")) return [process.execPath];
  return [process.execPath, join(import.meta.dir, "..", "main.ts")];
}
