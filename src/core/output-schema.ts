import { Validator } from "@cfworker/json-schema";
import { UsageError } from "./errors.ts";

export type OutputValidation = { structured: unknown; validationErrors: { path: string; message: string }[] };

const DRAFTS: Record<string, "4" | "7" | "2019-09" | "2020-12"> = {
  "http://json-schema.org/draft-04/schema#": "4",
  "http://json-schema.org/draft-07/schema#": "7",
  "https://json-schema.org/draft/2019-09/schema": "2019-09",
  "https://json-schema.org/draft/2020-12/schema": "2020-12",
};

/** A user-supplied JSON Schema for `exec --output-schema` (SPEC §14.7); problems are usage errors naming the file. */
export class OutputSchema {
  private readonly validator: Validator;

  constructor(text: string, absPath: string) {
    let schema: unknown;
    try {
      schema = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`Invalid output schema ${absPath}: invalid JSON: ${(error as Error).message}`);
    }
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
      if (typeof schema !== "boolean") {
        throw new UsageError(`Invalid output schema ${absPath}: expected a JSON Schema object or boolean`);
      }
    }
    const declared = typeof schema === "object" && schema !== null ? (schema as { $schema?: unknown }).$schema : undefined;
    const draft = typeof declared === "string" ? (DRAFTS[declared] ?? "2020-12") : "7";
    try {
      this.validator = new Validator(schema as never, draft, false);
    } catch (error) {
      throw new UsageError(`Invalid output schema ${absPath}: ${(error as Error).message}`);
    }
  }

  /** Parses stdout as JSON and validates it; only leaf errors are reported, with JSON-pointer paths. */
  check(stdout: string): OutputValidation {
    let value: unknown;
    try {
      value = JSON.parse(stdout);
    } catch (error) {
      return { structured: null, validationErrors: [{ path: "", message: `invalid JSON: ${(error as Error).message}` }] };
    }
    const result = this.validator.validate(value);
    if (result.valid) return { structured: value, validationErrors: [] };
    const leaves = result.errors.filter(
      (e) => !result.errors.some((other) => other !== e && other.keywordLocation.startsWith(`${e.keywordLocation}/`)),
    );
    return {
      structured: null,
      validationErrors: leaves.map((e) => ({ path: e.instanceLocation.replace(/^#/, ""), message: e.error })),
    };
  }
}
