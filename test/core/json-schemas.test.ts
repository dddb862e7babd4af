import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { Validator } from "@cfworker/json-schema";
import { MANIFEST_SCHEMA_ID, jsonSchemaFor, renderSchemaFiles } from "../../src/core/json-schemas.ts";

const dir = new URL("../../schemas/", import.meta.url).pathname;

test("schemas/*.json are up to date with the valibot schemas (run `npm run schemas`)", () => {
  const expected = renderSchemaFiles();
  const onDisk = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
  expect(onDisk).toEqual(Object.keys(expected).sort());
  for (const [name, text] of Object.entries(expected)) expect(readFileSync(dir + name, "utf8")).toBe(text);
});

test("the manifest schema is draft-07 with the documented $id and rejects a broken manifest", () => {
  const schema = jsonSchemaFor("cli-manifest.json");
  expect(schema.$id).toBe(MANIFEST_SCHEMA_ID);
  expect(String(schema.$schema)).toContain("draft-07");
  const v = new Validator(schema as never, "7");
  expect(v.validate({ version: 1 }).valid).toBe(false);
});
