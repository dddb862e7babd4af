/**
 * Finds the codex-orchestrator executable: the explicit option, then `CODEX_ORCHESTRATOR_BIN`, then the binary
 * installed with this package (the launcher's own resolver, `bin/resolve-binary.js`), then `PATH`.
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BinaryNotFoundError } from "./errors.ts";

/** Name of the executable on `PATH`. */
export const BINARY_NAME = "codex-orchestrator";

/** Environment variable naming the executable to use when no option is given. */
export const BINARY_ENV = "CODEX_ORCHESTRATOR_BIN";

export type ResolveBinaryOptions = {
  /** Explicit executable: a path (relative to `cwd`) or a bare name looked up on `PATH`. */
  binaryPath?: string;
  /** Environment to read `CODEX_ORCHESTRATOR_BIN` and `PATH` from. */
  env?: Record<string, string | undefined>;
  /** Base directory for a relative `binaryPath`. */
  cwd?: string;
};

/** Resolves the executable to an absolute path, or throws `BinaryNotFoundError` naming every place tried. */
export async function resolveBinary(options: ResolveBinaryOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const tried: string[] = [];
  const explicit = (value: string, label: string): string => {
    const found = lookup(value, env, cwd);
    if (found.path !== undefined) return found.path;
    throw new BinaryNotFoundError([`${label} "${value}" (${found.reason})`]);
  };
  if (options.binaryPath !== undefined && options.binaryPath !== "") return explicit(options.binaryPath, "binaryPath");
  const fromEnv = env[BINARY_ENV];
  if (fromEnv !== undefined && fromEnv !== "") return explicit(fromEnv, BINARY_ENV);
  tried.push(`${BINARY_ENV} (unset)`);

  const packaged = await packageBinary();
  if (packaged.path !== undefined) return packaged.path;
  tried.push(`the package's binary (${packaged.reason})`);

  const onPath = searchPath(BINARY_NAME, env);
  if (onPath !== undefined) return onPath;
  tried.push(`${BINARY_NAME} on PATH (${env.PATH ? `not in ${env.PATH}` : "PATH is empty"})`);
  throw new BinaryNotFoundError(tried);
}

type Lookup = { path: string; reason?: undefined } | { path?: undefined; reason: string };

/** A path-like value must be an executable file; a bare name is searched on `PATH`. */
function lookup(value: string, env: Record<string, string | undefined>, cwd: string): Lookup {
  if (!value.includes("/") && !value.includes("\\")) {
    const found = searchPath(value, env);
    return found === undefined ? { reason: "not found on PATH" } : { path: found };
  }
  const path = isAbsolute(value) ? value : resolve(cwd, value);
  const problem = executableProblem(path);
  return problem === undefined ? { path } : { reason: problem };
}

/** Why a path cannot be run, or undefined when it is an executable regular file. */
function executableProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return "not a file";
  } catch {
    return "no such file";
  }
  if (process.platform === "win32") return undefined;
  try {
    accessSync(path, constants.X_OK);
    return undefined;
  } catch {
    return "not executable";
  }
}

function searchPath(name: string, env: Record<string, string | undefined>): string | undefined {
  const names = process.platform === "win32" ? [`${name}.exe`, name] : [name];
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    for (const candidate of names) {
      const path = join(dir, candidate);
      if (executableProblem(path) === undefined) return path;
    }
  }
  return undefined;
}

type LauncherResolver = { resolveBinary(): { path: string } };

/**
 * The binary shipped with the package, found by the npm launcher's resolver (the per-platform package, else
 * `dist/codex-orchestrator` of a built checkout). `src/sdk/` and `dist/sdk/` both sit two levels below the package
 * root, so one relative URL serves the source and the bundle; the import is computed so bundlers leave it alone.
 */
async function packageBinary(): Promise<Lookup> {
  const url = new URL("../../bin/resolve-binary.js", import.meta.url);
  let resolver: LauncherResolver;
  try {
    resolver = (await import(url.href)) as LauncherResolver;
  } catch {
    return { reason: `no launcher at ${url.protocol === "file:" ? fileURLToPath(url) : url.href}` };
  }
  try {
    return { path: resolver.resolveBinary().path };
  } catch (error) {
    return { reason: error instanceof Error ? error.message : String(error) };
  }
}
