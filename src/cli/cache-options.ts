import { type CacheSettings, type CacheSettingsInput, resolveCacheSettings } from "../cache/cache-settings.ts";
import type { LoadedConfig } from "../pipeline/config-loader.ts";

/**
 * The stage cache's settings for a command that reads the store outside a run (`plan --explain`, `cache stats|prune`):
 * the same precedence as a run's (flag, env, config, XDG default), from this process's environment and directory.
 */
export function commandCacheSettings(
  repo: string,
  loaded: LoadedConfig | null,
  flags: Pick<CacheSettingsInput, "cliDir" | "cliMaxBytes" | "noCache">,
): CacheSettings {
  return resolveCacheSettings({ env: process.env, cwd: process.cwd(), repo, config: loaded?.config, configPath: loaded?.path, ...flags });
}
