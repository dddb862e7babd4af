import { isAbsolute, join, resolve } from "node:path";
import { BYTE_SIZE_HINT, parseByteSize } from "../core/byte-size.ts";
import { UsageError } from "../core/errors.ts";
import type { OrchestratorConfig } from "../core/schemas/config.ts";
import { firstSetting } from "../core/setting-sources.ts";
import { XDG_APP_DIR, xdgBase } from "../platform/xdg.ts";

/** The stage cache of one invocation (issue 18). */
export type CacheSettings = {
  /** False with `--no-cache`: every stage runs and nothing is stored. */
  enabled: boolean;
  /** `--fail-on-cache-miss`: a stage with `inputs` that misses fails instead of running. */
  failOnMiss: boolean;
  /** The store: `--cache-dir`, else `CODEX_ORCHESTRATOR_CACHE_DIR`, else config `cache.dir`, else the XDG cache dir. */
  dir: string;
  /** Size bound of the store (least recently used entries go first): env, config, else 1 GiB. */
  maxBytes: number;
};

export const DEFAULT_CACHE_MAX_BYTES = 1024 ** 3;

export type CacheSettingsInput = {
  env: Record<string, string | undefined>;
  cwd: string;
  /** The repository root: a relative config `cache.dir` resolves against it. */
  repo: string;
  config?: OrchestratorConfig | undefined;
  configPath?: string | undefined;
  cliDir?: string | undefined;
  noCache?: boolean;
  failOnMiss?: boolean;
  cliMaxBytes?: string | undefined;
};

/** Resolves the cache settings; a bad size is a usage error (exit 2) naming where it came from. */
export function resolveCacheSettings(input: CacheSettingsInput): CacheSettings {
  const { env } = input;
  if (input.noCache === true && input.failOnMiss === true) {
    throw new UsageError("--no-cache and --fail-on-cache-miss cannot be used together (with --no-cache every stage runs).");
  }
  const fromCwd = (p: string) => (isAbsolute(p) ? resolve(p) : resolve(input.cwd, p));
  const configDir = input.config?.cache?.dir;
  const dir =
    input.cliDir !== undefined
      ? fromCwd(input.cliDir)
      : env.CODEX_ORCHESTRATOR_CACHE_DIR !== undefined && env.CODEX_ORCHESTRATOR_CACHE_DIR !== ""
        ? fromCwd(env.CODEX_ORCHESTRATOR_CACHE_DIR)
        : configDir !== undefined
          ? isAbsolute(configDir)
            ? resolve(configDir)
            : resolve(input.repo, configDir)
          : join(xdgBase(env, "XDG_CACHE_HOME", ".cache"), XDG_APP_DIR, "stage-cache");
  const maxBytes =
    firstSetting((value) => (typeof value === "number" ? value : parseByteSize(value)), BYTE_SIZE_HINT, [
      [input.cliMaxBytes, "--max-bytes"],
      [env.CODEX_ORCHESTRATOR_CACHE_MAX_BYTES, "CODEX_ORCHESTRATOR_CACHE_MAX_BYTES"],
      [input.config?.cache?.maxBytes, `config ${input.configPath ?? ""} /cache/maxBytes`],
    ]) ?? DEFAULT_CACHE_MAX_BYTES;
  return { enabled: input.noCache !== true, failOnMiss: input.failOnMiss === true, dir, maxBytes };
}
