import { join } from "node:path";
import { XDG_APP_DIR as APP_DIR, xdgBase } from "../platform/xdg.ts";

export type Env = Record<string, string | undefined>;

/** `$XDG_STATE_HOME/codex-orchestrator/approvals.json` (default `~/.local/state/...`): the global approval cache. */
export function approvalCachePath(env: Env = process.env): string {
  return join(xdgBase(env, "XDG_STATE_HOME", ".local/state"), APP_DIR, "approvals.json");
}

/** `$XDG_CONFIG_HOME/codex-orchestrator/config.json` (default `~/.config/...`): the user-global config. */
export function userConfigPath(env: Env = process.env): string {
  return join(xdgBase(env, "XDG_CONFIG_HOME", ".config"), APP_DIR, "config.json");
}
