import { type Schema, dereference, validate } from "@cfworker/json-schema";
import { UsageError } from "./errors.ts";
import { type SchemaDraft, schemaProblem } from "./schema-check.ts";

export type ValidationError = { path: string; message: string };
/** `validationErrors`: the first MAX_VALIDATION_ERRORS errors; `errorCount`: all of them. */
export type OutputValidation = { structured: unknown; validationErrors: ValidationError[]; errorCount: number };

const DRAFTS: Record<string, SchemaDraft> = {
  "http://json-schema.org/draft-04/schema#": "4",
  "http://json-schema.org/draft-07/schema#": "7",
  "https://json-schema.org/draft/2019-09/schema": "2019-09",
  "https://json-schema.org/draft/2020-12/schema": "2020-12",
};

/** At most this many validation errors are reported (the first ones): a large output can break a rule many times. */
export const MAX_VALIDATION_ERRORS = 100;

/**
 * Up to this many characters of output every error is looked for; past it validation stops at the first one (listing
 * every error of a large output costs memory in proportion to the errors: about 1 GB for 12 MB of them, measured).
 */
export const LIST_ALL_ERRORS_CHARS = 65_536;

type Lookup = ReturnType<typeof dereference>;
type Parse = (text: string) => unknown;

/** `Invalid output schema <abs path>: <pointer>: <problem>` (SPEC §14.7, issue 22): exit 2, before anything runs. */
function schemaError(absPath: string, pointer: string | null, problem: string): UsageError {
  return new UsageError(`Invalid output schema ${absPath}: ${pointer === null ? "" : `${pointer === "" ? "(root)" : pointer}: `}${problem}`);
}

/** cfworker's instance locations are `#` + a percent-encoded pointer; this is the plain RFC 6901 pointer. */
function plainPointer(location: string): string {
  const body = location.startsWith("#") ? location.slice(1) : location;
  try {
    return decodeURIComponent(body);
  } catch {
    return body;
  }
}

/**
 * A user-supplied JSON Schema for `exec --output-schema` (SPEC §14.7, issue 22). The schema is checked when loaded:
 * not JSON, not a schema, a malformed keyword (e.g. an unknown `type` name) or a `$ref` that resolves to nothing is a
 * usage error naming the file and the JSON pointer.
 */
export class OutputSchema {
  private readonly schema: Schema | boolean;
  private readonly draft: SchemaDraft;
  private readonly lookup: Lookup;

  /** `parse` turns the file's text into a value (the CLI passes its located JSON parser); it throws on bad JSON. */
  constructor(text: string, absPath: string, parse: Parse = JSON.parse) {
    let schema: unknown;
    try {
      schema = parse(text);
    } catch (error) {
      throw schemaError(absPath, null, `invalid JSON: ${(error as Error).message}`);
    }
    const declared = typeof schema === "object" && schema !== null ? (schema as { $schema?: unknown }).$schema : undefined;
    this.draft = typeof declared === "string" ? (DRAFTS[declared] ?? "2020-12") : "7";
    const { problem, visited } = schemaProblem(schema, this.draft);
    if (problem !== null) throw schemaError(absPath, problem.pointer, problem.problem);
    this.schema = schema as Schema | boolean;
    try {
      this.lookup = dereference(this.schema);
    } catch (error) {
      throw schemaError(absPath, "", (error as Error).message);
    }
    // The validator resolves `$ref` only when it reaches it (and then throws): every one is resolved here instead.
    for (const { pointer, schema: sub } of visited) {
      const refs = sub as { $ref?: string; __absolute_ref__?: string; $recursiveRef?: string; __absolute_recursive_ref__?: string };
      if (refs.$ref !== undefined && this.lookup[refs.__absolute_ref__ ?? refs.$ref] === undefined) {
        throw schemaError(absPath, `${pointer}/$ref`, `unresolved $ref ${JSON.stringify(refs.$ref)} (only references inside the file are supported)`);
      }
      if (refs.$recursiveRef !== undefined && this.lookup[refs.__absolute_recursive_ref__ ?? refs.$recursiveRef] === undefined) {
        throw schemaError(absPath, `${pointer}/$recursiveRef`, `unresolved $recursiveRef ${JSON.stringify(refs.$recursiveRef)}`);
      }
    }
  }

  /**
   * Parses stdout as JSON and validates it. Invalid JSON is one error at the root (`path: ""`); otherwise only leaf
   * errors are reported, with JSON-pointer paths, the first one first.
   */
  check(stdout: string, parse: Parse = JSON.parse): OutputValidation {
    const listAll = stdout.length <= LIST_ALL_ERRORS_CHARS;
    let value: unknown;
    try {
      value = parse(stdout);
    } catch (error) {
      return { structured: null, validationErrors: [{ path: "", message: `invalid JSON: ${(error as Error).message}` }], errorCount: 1 };
    }
    return this.validate(value, listAll);
  }

  /** Validates an already parsed value; with `listAll` false it stops at the first error. */
  validate(value: unknown, listAll = true): OutputValidation {
    let result: ReturnType<typeof validate>;
    try {
      // A first pass that stops at the first error: a valid value (the usual case) is evaluated once, and quickly.
      result = validate(value, this.schema, this.draft, this.lookup, true);
      if (!result.valid && listAll) result = validate(value, this.schema, this.draft, this.lookup, false);
    } catch (error) {
      const message = `the schema cannot be evaluated: ${(error as Error).message}`;
      return { structured: null, validationErrors: [{ path: "", message }], errorCount: 1 };
    }
    if (result.valid) return { structured: value, validationErrors: [], errorCount: 0 };
    // A leaf is an error no other error is nested under (by keyword location); found in one pass over the prefixes.
    const parents = new Set<string>();
    for (const e of result.errors) {
      for (let at = e.keywordLocation.lastIndexOf("/"); at > 0; at = e.keywordLocation.lastIndexOf("/", at - 1)) {
        parents.add(e.keywordLocation.slice(0, at));
      }
    }
    const validationErrors: ValidationError[] = [];
    let errorCount = 0;
    for (const e of result.errors) {
      if (parents.has(e.keywordLocation)) continue;
      errorCount++;
      if (validationErrors.length < MAX_VALIDATION_ERRORS) validationErrors.push({ path: plainPointer(e.instanceLocation), message: e.error });
    }
    return { structured: null, validationErrors, errorCount };
  }
}
