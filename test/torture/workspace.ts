import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "../helpers/cli.ts";

const C = (id: string, command: string, extra: Record<string, unknown> = {}) => ({ kind: "command", id, title: id, command, ...extra });

/**
 * Pipelines of the torture cases. `torture` is the multi-stage pipeline killed at random moments: output flowing,
 * a pause, a sub-pipeline (a second run in the same process), a stderr line. `hold` keeps a stage alive on a unique
 * `sleep 31.7` so a leftover is unmistakable.
 */
export const TORTURE_CONFIG = {
  defaultPipeline: "torture",
  pipelines: [
    {
      id: "torture",
      title: "Torture pipeline",
      stages: [
        C("emit", "i=0; while [ $i -lt 40 ]; do seq 1 250; i=$((i+1)); done"),
        C("nap", "sleep 0.3; echo napped"),
        { kind: "subpipeline", id: "child", title: "child", pipeline: "leaf" },
        C("tail", "echo done >&2"),
      ],
    },
    { id: "leaf", title: "Leaf", stages: [C("leaf", "echo leaf; sleep 0.2; echo leaf-done")] },
    { id: "quick", title: "Quick", stages: [C("one", "echo one"), C("two", "echo two >&2"), C("guard", "sh scripts/spec-guard.sh --dry-run")] },
    { id: "failing", title: "Failing", stages: [C("boom", "echo boom >&2; exit 4"), C("never", "echo never")] },
    { id: "hold", title: "Hold", stages: [C("hold", "echo holding; sleep 31.7")] },
    { id: "flood", title: "Flood", stages: [C("flood", 'head -c "${FLOOD_BYTES:-400000}" /dev/zero | tr "\\0" a')] },
  ],
};

/** A scratch repository with the torture config, an AGENTS.md and a passing spec guard script. */
export function tortureWorkspace(prefix = "co-torture-"): string {
  const w = scratchDir(prefix);
  writeFileSync(join(w, "AGENTS.md"), "# Torture\n");
  mkdirSync(join(w, "scripts"));
  writeFileSync(join(w, "scripts/spec-guard.sh"), "exit 0\n");
  writeFileSync(join(w, "codex.orchestrator.json"), JSON.stringify(TORTURE_CONFIG, null, 2));
  return w;
}

/** Makes a run look abandoned `ageSeconds` ago, as waiting that long would (`.heartbeat` and `heartbeat_at`). */
export function ageHeartbeat(runDir: string, ageSeconds: number): void {
  const old = new Date(Date.now() - ageSeconds * 1000).toISOString();
  writeFileSync(join(runDir, ".heartbeat"), `${old}\n`);
  const path = join(runDir, "manifest.json");
  const doc = JSON.parse(readFileSync(path, "utf8"));
  doc.heartbeat_at = old;
  writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`);
}
