import { expect, test } from "bun:test";
import { OutputSchema } from "../../src/core/output-schema.ts";

const schema = JSON.stringify({ type: "object", properties: { a: { type: "integer" } }, required: ["a"] });

test("valid output becomes structured", () => {
  expect(new OutputSchema(schema, "/s.json").check('{"a":1}\n')).toEqual({ structured: { a: 1 }, validationErrors: [] });
});

test("invalid output gives one leaf error with a JSON pointer", () => {
  const r = new OutputSchema(schema, "/s.json").check('{"a":"x"}');
  expect(r.structured).toBeNull();
  expect(r.validationErrors).toHaveLength(1);
  expect(r.validationErrors[0]?.path).toBe("/a");
});

test("non-JSON output is one error at the root", () => {
  const r = new OutputSchema(schema, "/s.json").check("not json");
  expect(r.validationErrors).toHaveLength(1);
  expect(r.validationErrors[0]?.path).toBe("");
});

test("a schema that is not JSON is a usage error naming the file", () => {
  expect(() => new OutputSchema("{", "/x/s.json")).toThrow("Invalid output schema /x/s.json: invalid JSON");
  expect(() => new OutputSchema("[1]", "/x/s.json")).toThrow("Invalid output schema /x/s.json:");
});
