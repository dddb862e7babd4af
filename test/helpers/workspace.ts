import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "./cli.ts";

/**
 * A scratch workspace for a CLI run: an `AGENTS.md` (the instructions a run records) and, when given, the
 * `codex.orchestrator.json` (an object is written as JSON, a string as is, to test broken configs).
 */
export function workspace(config?: unknown, prefix = "co-ws-"): string {
  const w = scratchDir(prefix);
  writeFileSync(join(w, "AGENTS.md"), "# Root\nBe kind.\n");
  if (config !== undefined && config !== null) {
    writeFileSync(join(w, "codex.orchestrator.json"), typeof config === "string" ? config : JSON.stringify(config, null, 2));
  }
  return w;
}
