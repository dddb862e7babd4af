import { join } from "node:path";
import { pathWithout } from "./path-without.ts";

/**
 * The environment of a CLI run in the Landlock tests (issue 15): everything it keeps under `root` (home, XDG config
 * and state, the run store), `/tmp` as TMPDIR, and no bubblewrap on PATH, so that the in-binary backend is the one
 * chosen. `extra` is added on top.
 */
export function sandboxTestEnv(root: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: pathWithout(["bwrap"]),
    HOME: root,
    XDG_STATE_HOME: join(root, "state"),
    XDG_CONFIG_HOME: join(root, "config"),
    TMPDIR: "/tmp",
    CODEX_ORCHESTRATOR_RUNS_DIR: join(root, "runs"),
    ...extra,
  };
}
