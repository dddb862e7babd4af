import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";

/** The directory of this program under every XDG base directory. */
export const XDG_APP_DIR = "codex-orchestrator";

/** An XDG base directory: the variable if it holds an absolute path (relative ones are invalid per the XDG spec). */
export function xdgBase(env: Record<string, string | undefined>, variable: string, fallback: string): string {
  const value = env[variable];
  if (value !== undefined && value !== "" && isAbsolute(value)) return value;
  const home = env.HOME !== undefined && env.HOME !== "" ? env.HOME : homedir();
  return join(home, fallback);
}
