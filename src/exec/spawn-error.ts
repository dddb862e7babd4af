import { statSync } from "node:fs";

/**
 * A command that could not be started (SPEC §9.3): the message and the exit code the entry records.
 * 127 = not found, 126 = found but not executable, 1 = anything else (including a missing working directory).
 */
export type SpawnError = { message: string; exitCode: 127 | 126 | 1 };

/**
 * Checked before spawning, because the OS reports a missing cwd as ENOENT, indistinguishable from a missing program.
 * A path that exists but is not a directory says so (issue 22.9), rather than "not found".
 */
export function checkWorkingDirectory(cwd: string): SpawnError | null {
  const problem = workingDirectoryProblem(cwd);
  return problem === null ? null : { message: `working directory ${problem}: ${cwd}`, exitCode: 1 };
}

/** Why `path` cannot be a working directory (`not found`, `is not a directory`), or null when it can. */
export function workingDirectoryProblem(path: string): "not found" | "is not a directory" | null {
  try {
    return statSync(path).isDirectory() ? null : "is not a directory";
  } catch {
    // Missing or unreadable: reported the same way.
    return "not found";
  }
}

/** Turns whatever `Bun.spawn` threw into a SpawnError; never throws. */
export function classifySpawnError(error: unknown, program: string): SpawnError {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  switch (code) {
    case "ENOENT":
      return { message: `command not found: ${program}`, exitCode: 127 };
    case "EACCES":
    case "EPERM":
    case "EISDIR":
      return { message: `permission denied: ${program}`, exitCode: 126 };
    case "ENOEXEC":
      // Bun's own text for ENOEXEC is "unknown error"; name the problem instead.
      return { message: `exec format error: ${program}`, exitCode: 126 };
    default:
      return { message: error instanceof Error ? error.message : String(error), exitCode: 1 };
  }
}
