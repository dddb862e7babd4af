import { expect, test } from "bun:test";
import { parseConfigText } from "../../src/pipeline/config-loader.ts";
import { findPipeline, requireStages, resolvePipeline } from "../../src/pipeline/resolve.ts";

const cfg = (o: unknown) => parseConfigText(JSON.stringify(o), "/c.json");
const p = (id: string, title = id) => ({ id, title, stages: [] });

test("no config, no id → built-in diagnostics (source default)", () => {
  const r = resolvePipeline(null, undefined);
  expect(r.source).toBe("default");
  expect(r.pipeline.stages.map((s) => s.id)).toEqual(["build", "lint", "test", "spec-guard"]);
});

test("explicit ids: config first (user, even for diagnostics), built-in, else not found", () => {
  const config = cfg({ pipelines: [p("diagnostics", "Mine"), p("x"), p("x", "second")] });
  expect(resolvePipeline(config, "diagnostics")).toMatchObject({ source: "user", pipeline: { title: "Mine" } });
  expect(resolvePipeline(config, "x").pipeline.title).toBe("x");
  expect(() => resolvePipeline(config, "nope")).toThrow("Pipeline 'nope' not found.");
  expect(resolvePipeline(null, "diagnostics").source).toBe("default");
});

test("defaultPipeline picks the config pipeline", () => {
  expect(resolvePipeline(cfg({ defaultPipeline: "x", pipelines: [p("x")] }), undefined).pipeline.id).toBe("x");
  expect(resolvePipeline(cfg({ pipelines: [p("x")] }), undefined).pipeline.id).toBe("diagnostics");
});

test("zero stages are refused by requireStages", () => {
  const r = findPipeline(cfg({ pipelines: [p("e")] }), "e");
  expect(() => requireStages(r!)).toThrow("Planner returned no executable subtasks.");
});
