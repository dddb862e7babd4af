import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";

export type Env = Record<string, string | undefined>;

const APP_DIR = "codex-orchestrator";

/** An XDG base directory: the variable if it holds an absolute path (relative ones are invalid per the XDG spec). */
function xdgBase(env: Env, variable: string, fallback: string): string {
  const value = env[variable];
  if (value !== undefined && value !== "" && isAbsolute(value)) return value;
  const home = env.HOME !== undefined && env.HOME !== "" ? env.HOME : homedir();
  return join(home, fallback);
}

/** `$XDG_STATE_HOME/codex-orchestrator/approvals.json` (default `~/.local/state/...`): the global approval cache. */
export function approvalCachePath(env: Env = process.env): string {
  return join(xdgBase(env, "XDG_STATE_HOME", ".local/state"), APP_DIR, "approvals.json");
}

/** `$XDG_CONFIG_HOME/codex-orchestrator/config.json` (default `~/.config/...`): the user-global config. */
export function userConfigPath(env: Env = process.env): string {
  return join(xdgBase(env, "XDG_CONFIG_HOME", ".config"), APP_DIR, "config.json");
}
