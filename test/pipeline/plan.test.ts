import { expect, test } from "bun:test";
import { parseConfigText } from "../../src/pipeline/config-loader.ts";
import { describePlan, formatPlanText } from "../../src/pipeline/plan.ts";
import { resolvePipeline } from "../../src/pipeline/resolve.ts";

const config = parseConfigText(
  JSON.stringify({
    pipelines: [
      {
        id: "full", title: "Full", description: "Everything",
        stages: [
          { kind: "command", id: "a", title: "A", command: "echo a", cwd: "sub", env: { K: "V", K2: "V2" }, allowFailure: true, summaryHint: "hint" },
          { kind: "command", id: "b", title: "B", command: "echo b", env: {} },
          { kind: "subpipeline", id: "c", title: "C", pipeline: "other", optional: true },
          { kind: "subpipeline", id: "d", title: "D", pipeline: "other" },
        ],
      },
      { id: "empty", title: "Empty", stages: [] },
    ],
  }),
  "/c.json",
);

test("text form lists every optional line only when set (SPEC §5.2)", () => {
  expect(formatPlanText(describePlan(resolvePipeline(config, "full")))).toEqual([
    "Pipeline: full — Full [user]",
    "Description: Everything",
    "Stages:",
    "  1. [command] A (a)",
    "     command: echo a",
    "     cwd: sub",
    "     env: K=V, K2=V2",
    "     allowFailure: true",
    "     summaryHint: hint",
    "  2. [command] B (b)",
    "     command: echo b",
    "  3. [subpipeline] C (c)",
    "     pipeline: other",
    "     optional: true",
    "  4. [subpipeline] D (d)",
    "     pipeline: other",
    "Notes: Everything",
  ]);
  expect(formatPlanText(describePlan(resolvePipeline(config, "empty")))).toEqual(["Pipeline: empty — Empty [user]", "Stages:", "  (none)"]);
});

test("JSON form: keys in order, nulls for unset fields, notes absent without a description", () => {
  const doc = describePlan(resolvePipeline(config, "full"));
  expect(Object.keys(doc)).toEqual(["pipeline", "stages", "plan", "graph"]);
  expect(Object.keys(doc.stages[0] ?? {})).toEqual(["index", "id", "title", "kind", "command", "cwd", "env", "allowFailure", "summaryHint"]);
  expect(doc.stages[1]).toEqual({ index: 2, id: "b", title: "B", kind: "command", command: "echo b", cwd: null, env: {}, allowFailure: false, summaryHint: null });
  expect(doc.stages[3]).toEqual({ index: 4, id: "d", title: "D", kind: "subpipeline", pipeline: "other", optional: false });
  expect(doc.plan.items[0]).toEqual({ id: "full:a", description: "A", requires_cloud: false });
  expect(doc.plan.notes).toBe("Everything");
  const empty = describePlan(resolvePipeline(config, "empty"));
  expect("notes" in empty.plan).toBe(false);
  expect(empty.pipeline.description).toBeNull();
});
