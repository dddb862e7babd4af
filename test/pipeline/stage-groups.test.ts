import { describe, expect, test } from "bun:test";
import type { PipelineDefinition } from "../../src/core/schemas/config.ts";
import { stageGroups } from "../../src/pipeline/stage-groups.ts";
import { selectStages } from "../../src/pipeline/stage-selection.ts";

const S = (id: string, needs?: string[]) => ({ kind: "command" as const, id, title: id, command: "true", allowFailure: false, ...(needs ? { needs } : {}) });
const P = (stages: ReturnType<typeof S>[], parallel?: boolean): PipelineDefinition => ({ id: "p", title: "P", stages, ...(parallel ? { parallel } : {}) });

describe("stage groups and --only (issue 18)", () => {
  test("stages joined by needs, either way and transitively, form one group; the others stand alone", () => {
    expect(stageGroups(P([S("a"), S("b"), S("c", ["a"]), S("d", ["b", "c"]), S("e")]))).toEqual([["a", "b", "c", "d"], ["e"]]);
    expect(stageGroups(P([S("a"), S("b")], true))).toEqual([["a"], ["b"]]);
    expect(stageGroups(P([S("a"), S("b"), S("c")]))).toEqual([["a", "b", "c"]]); // sequential: one chain
  });

  test("--only adds what the named stages need in graph mode, only the named ones in sequential mode", () => {
    expect([...selectStages(P([S("a"), S("b", ["a"]), S("c", ["b"]), S("d")]), "c")].sort()).toEqual(["a", "b", "c"]);
    expect([...selectStages(P([S("a"), S("b"), S("c")]), " c ,a")].sort()).toEqual(["a", "c"]);
    expect(() => selectStages(P([S("a")]), ",")).toThrow("--only requires a stage id");
    expect(() => selectStages(P([S("a")]), "zz")).toThrow("Unknown stage 'zz' in --only (pipeline 'p' has: a).");
  });
});
