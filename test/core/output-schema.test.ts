import { describe, expect, test } from "bun:test";
import { LIST_ALL_ERRORS_CHARS, MAX_VALIDATION_ERRORS, OutputSchema } from "../../src/core/output-schema.ts";

const schema = JSON.stringify({ type: "object", properties: { a: { type: "integer" } }, required: ["a"] });

test("valid output becomes structured", () => {
  expect(new OutputSchema(schema, "/s.json").check('{"a":1}\n')).toEqual({ structured: { a: 1 }, validationErrors: [], errorCount: 0 });
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

test("error paths are plain JSON pointers (no percent-encoding, RFC 6901 escapes)", () => {
  const s = JSON.stringify({ properties: { "a b": { type: "integer" }, "c/d": { type: "integer" } } });
  const r = new OutputSchema(s, "/s.json").check('{"a b":"x","c/d":"y"}');
  expect(r.validationErrors.map((e) => e.path).sort()).toEqual(["/a b", "/c~1d"]);
});

test("errors past MAX_VALIDATION_ERRORS are counted, not listed", () => {
  const s = JSON.stringify({ type: "array", items: { type: "integer" } });
  const r = new OutputSchema(s, "/s.json").check(JSON.stringify(Array.from({ length: 250 }, () => "x")));
  expect(r.validationErrors).toHaveLength(MAX_VALIDATION_ERRORS);
  expect(r.errorCount).toBe(250);
  expect(r.validationErrors[0]?.path).toBe("/0");
});

test("past LIST_ALL_ERRORS_CHARS of output, validation stops at the first error", () => {
  const s = JSON.stringify({ type: "array", items: { type: "integer" } });
  const big = JSON.stringify([1, ...Array.from({ length: LIST_ALL_ERRORS_CHARS / 4 }, () => "x")]);
  expect(big.length).toBeGreaterThan(LIST_ALL_ERRORS_CHARS);
  const r = new OutputSchema(s, "/s.json").check(big);
  expect(r).toMatchObject({ structured: null, errorCount: 1, validationErrors: [{ path: "/1" }] });
});

test("a schema that is not JSON is a usage error naming the file", () => {
  expect(() => new OutputSchema("{", "/x/s.json")).toThrow("Invalid output schema /x/s.json: invalid JSON");
  expect(() => new OutputSchema("[1]", "/x/s.json")).toThrow("Invalid output schema /x/s.json:");
});

describe("a schema that is not a JSON Schema is a usage error naming the file and the JSON pointer", () => {
  const cases: [unknown, string][] = [
    [{ type: "nonsense" }, '/type: unknown type "nonsense" (expected one of array, boolean, integer, null, number, object, string)'],
    [[1], "(root): expected a schema (an object or a boolean), got an array"],
    ["str", '(root): expected a schema (an object or a boolean), got string "str"'],
    [null, "(root): expected a schema (an object or a boolean), got null"],
    [{ properties: { a: { type: 5 } } }, "/properties/a/type: unknown type number 5"],
    [{ type: ["string", "string"] }, '/type/1: duplicate type "string"'],
    [{ type: [] }, "/type: expected a type name or a non-empty array"],
    [{ minLength: "3" }, '/minLength: expected a non-negative integer, got string "3"'],
    [{ maxItems: -1 }, "/maxItems: expected a non-negative integer"],
    [{ multipleOf: 0 }, "/multipleOf: expected a number greater than 0"],
    [{ required: "a" }, '/required: expected an array of strings, got string "a"'],
    [{ required: ["a", 1] }, "/required/1: expected a string, got number 1"],
    [{ pattern: "(" }, "/pattern: invalid regular expression"],
    [{ patternProperties: { "[": {} } }, "/patternProperties/[: invalid regular expression"],
    [{ items: [{ type: "x" }] }, '/items/0/type: unknown type "x"'],
    [{ anyOf: [] }, "/anyOf: expected a non-empty array of schemas"],
    [{ allOf: [{ not: 3 }] }, "/allOf/0/not: expected a schema"],
    [{ properties: { "a/b": { enum: 1 } } }, "/properties/a~1b/enum: expected an array"],
    [{ $ref: "#/definitions/missing" }, '/$ref: unresolved $ref "#/definitions/missing"'],
    [{ $ref: "https://example.com/s.json" }, "/$ref: unresolved $ref"],
    [{ $schema: "http://json-schema.org/draft-04/schema#", exclusiveMinimum: 3 }, "/exclusiveMinimum: expected a boolean"],
    [{ $schema: "http://json-schema.org/draft-04/schema#", properties: { a: true } }, "/properties/a: expected a schema object"],
    [{ $schema: "https://json-schema.org/draft/2020-12/schema", items: [{}] }, "/items: expected a schema (an object or a boolean), got an array"],
  ];
  for (const [bad, message] of cases) {
    test(JSON.stringify(bad), () => {
      expect(() => new OutputSchema(JSON.stringify(bad), "/x/s.json")).toThrow(`Invalid output schema /x/s.json: ${message}`);
    });
  }
});

test("well-formed schemas of every supported draft load, unknown keywords included", () => {
  const good: unknown[] = [
    true,
    {},
    { type: ["array", "null"], "x-custom": { type: "nonsense" }, definitions: { n: { type: "integer" } }, items: { $ref: "#/definitions/n" } },
    { $schema: "http://json-schema.org/draft-04/schema#", exclusiveMaximum: true, maximum: 3, additionalProperties: false, id: "urn:x" },
    { $schema: "https://json-schema.org/draft/2019-09/schema", $defs: { a: { type: "string" } }, properties: { a: { $ref: "#/$defs/a" } } },
    { $schema: "https://json-schema.org/draft/2020-12/schema", prefixItems: [{ type: "integer" }], items: false },
    // As text: an object literal with a `then` key is a thenable to the linter.
    '{"dependencies":{"a":["b"],"c":{"required":["d"]}},"if":{"type":"object"},"then":{},"else":false,"const":{"type":1}}',
  ];
  for (const s of good) expect(() => new OutputSchema(typeof s === "string" ? s : JSON.stringify(s), "/s.json")).not.toThrow();
  const refs = new OutputSchema(JSON.stringify(good[2]), "/s.json");
  expect(refs.check('["x"]').validationErrors[0]?.path).toBe("/0");
});
