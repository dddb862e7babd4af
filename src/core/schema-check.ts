/**
 * A structural check of a user-supplied JSON Schema (issue 22): the validator (`@cfworker/json-schema`) does not check
 * the schema itself, so `{"type":"nonsense"}` would be accepted and then fail every output. This walks the keywords the
 * validator evaluates and reports the first one whose value has the wrong shape, with its JSON pointer. Unknown
 * keywords are allowed (JSON Schema ignores them).
 */

export type SchemaDraft = "4" | "7" | "2019-09" | "2020-12";
export type SchemaProblem = { pointer: string; problem: string };

const TYPE_NAMES = ["array", "boolean", "integer", "null", "number", "object", "string"];

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj => typeof value === "object" && value !== null && !Array.isArray(value);

/** RFC 6901 escaping of one segment. */
export function pointerSegment(key: string | number): string {
  return String(key).replace(/~/g, "~0").replace(/\//g, "~1");
}

function shown(value: unknown): string {
  const kind = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  const text = JSON.stringify(value) ?? String(value);
  return kind === "object" || kind === "array" ? `an ${kind}` : `${kind} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}

type Walk = {
  draft: SchemaDraft;
  /** Every schema object visited, with its pointer (for the `$ref` check after dereferencing). */
  visited: { pointer: string; schema: Obj }[];
};

type Rule = (value: unknown, at: string, walk: Walk) => SchemaProblem | null;
/** A rule that needs no context. */
type Plain = (value: unknown, at: string) => SchemaProblem | null;

const fail = (pointer: string, problem: string): SchemaProblem => ({ pointer, problem });

const string: Plain = (v, at) => (typeof v === "string" ? null : fail(at, `expected a string, got ${shown(v)}`));
const boolean: Plain = (v, at) => (typeof v === "boolean" ? null : fail(at, `expected a boolean, got ${shown(v)}`));
const number: Plain = (v, at) => (typeof v === "number" ? null : fail(at, `expected a number, got ${shown(v)}`));
const array: Plain = (v, at) => (Array.isArray(v) ? null : fail(at, `expected an array, got ${shown(v)}`));
const count: Plain = (v, at) =>
  typeof v === "number" && Number.isInteger(v) && v >= 0 ? null : fail(at, `expected a non-negative integer, got ${shown(v)}`);
const positive: Plain = (v, at) => (typeof v === "number" && v > 0 ? null : fail(at, `expected a number greater than 0, got ${shown(v)}`));
const regex: Plain = (v, at) => string(v, at) ?? regexProblem(v as string, at);

function regexProblem(pattern: string, at: string): SchemaProblem | null {
  try {
    new RegExp(pattern, "u");
    return null;
  } catch (error) {
    return fail(at, `invalid regular expression: ${(error as Error).message}`);
  }
}

const schema: Rule = (v, at, walk) => checkSchema(v, at, walk);
/** draft-04 took a boolean here although it had no boolean schemas. */
const schemaOrBoolean: Rule = (v, at, walk) => (typeof v === "boolean" ? null : checkSchema(v, at, walk));

function schemaList(v: unknown, at: string, walk: Walk): SchemaProblem | null {
  if (!Array.isArray(v) || v.length === 0) return fail(at, `expected a non-empty array of schemas, got ${shown(v)}`);
  for (let i = 0; i < v.length; i++) {
    const problem = checkSchema(v[i], `${at}/${i}`, walk);
    if (problem) return problem;
  }
  return null;
}

function schemaMap(v: unknown, at: string, walk: Walk, keyRule?: Rule): SchemaProblem | null {
  if (!isObj(v)) return fail(at, `expected an object of schemas, got ${shown(v)}`);
  for (const [key, sub] of Object.entries(v)) {
    const here = `${at}/${pointerSegment(key)}`;
    const problem = keyRule?.(key, here, walk) ?? checkSchema(sub, here, walk);
    if (problem) return problem;
  }
  return null;
}

function stringList(v: unknown, at: string, nonEmpty: boolean): SchemaProblem | null {
  if (!Array.isArray(v) || (nonEmpty && v.length === 0)) {
    return fail(at, `expected ${nonEmpty ? "a non-empty" : "an"} array of strings, got ${shown(v)}`);
  }
  const seen = new Set<string>();
  for (let i = 0; i < v.length; i++) {
    const item = v[i];
    if (typeof item !== "string") return fail(`${at}/${i}`, `expected a string, got ${shown(item)}`);
    if (seen.has(item)) return fail(`${at}/${i}`, `duplicate entry ${JSON.stringify(item)}`);
    seen.add(item);
  }
  return null;
}

const typeName = (v: unknown, at: string): SchemaProblem | null =>
  typeof v === "string" && TYPE_NAMES.includes(v)
    ? null
    : fail(at, `unknown type ${typeof v === "string" ? JSON.stringify(v) : shown(v)} (expected one of ${TYPE_NAMES.join(", ")})`);

const type: Rule = (v, at) => {
  if (!Array.isArray(v)) return typeName(v, at);
  if (v.length === 0) return fail(at, "expected a type name or a non-empty array of type names, got an empty array");
  for (let i = 0; i < v.length; i++) {
    const problem = typeName(v[i], `${at}/${i}`);
    if (problem) return problem;
    if (v.indexOf(v[i]) !== i) return fail(`${at}/${i}`, `duplicate type ${JSON.stringify(v[i])}`);
  }
  return null;
};

/** The keywords the validator evaluates (drafts 4, 6/7, 2019-09, 2020-12), each with the shape its value must have. */
const KEYWORDS: Record<string, Rule> = {
  type,
  enum: (v, at, w) => array(v, at) ?? (w.draft === "4" && (v as unknown[]).length === 0 ? fail(at, "expected a non-empty array") : null),
  multipleOf: positive,
  maximum: number,
  minimum: number,
  exclusiveMaximum: (v, at, w) => (w.draft === "4" ? boolean(v, at) : number(v, at)),
  exclusiveMinimum: (v, at, w) => (w.draft === "4" ? boolean(v, at) : number(v, at)),
  maxLength: count,
  minLength: count,
  pattern: regex,
  maxItems: count,
  minItems: count,
  uniqueItems: boolean,
  maxContains: count,
  minContains: count,
  maxProperties: count,
  minProperties: count,
  required: (v, at, w) => stringList(v, at, w.draft === "4"),
  dependentRequired: (v, at) => {
    if (!isObj(v)) return fail(at, `expected an object of string arrays, got ${shown(v)}`);
    for (const [key, list] of Object.entries(v)) {
      const problem = stringList(list, `${at}/${pointerSegment(key)}`, false);
      if (problem) return problem;
    }
    return null;
  },
  dependencies: (v, at, w) => {
    if (!isObj(v)) return fail(at, `expected an object, got ${shown(v)}`);
    for (const [key, sub] of Object.entries(v)) {
      const here = `${at}/${pointerSegment(key)}`;
      const problem = Array.isArray(sub) ? stringList(sub, here, w.draft === "4") : checkSchema(sub, here, w);
      if (problem) return problem;
    }
    return null;
  },
  format: string,
  properties: (v, at, w) => schemaMap(v, at, w),
  patternProperties: (v, at, w) => schemaMap(v, at, w, (key, here) => regexProblem(key as string, here)),
  definitions: (v, at, w) => schemaMap(v, at, w),
  $defs: (v, at, w) => schemaMap(v, at, w),
  dependentSchemas: (v, at, w) => schemaMap(v, at, w),
  additionalProperties: schemaOrBoolean,
  additionalItems: schemaOrBoolean,
  items: (v, at, w) => (Array.isArray(v) && w.draft !== "2020-12" ? schemaList(v, at, w) : checkSchema(v, at, w)),
  prefixItems: schemaList,
  contains: schema,
  propertyNames: schema,
  unevaluatedItems: schema,
  unevaluatedProperties: schema,
  not: schema,
  if: schema,
  // biome-ignore lint/suspicious/noThenProperty: the JSON Schema keyword, in a lookup table (never awaited)
  then: schema,
  else: schema,
  allOf: schemaList,
  anyOf: schemaList,
  oneOf: schemaList,
  $ref: string,
  $id: string,
  $schema: string,
  $anchor: string,
  $recursiveRef: string,
  $recursiveAnchor: boolean,
};

function checkSchema(value: unknown, at: string, walk: Walk): SchemaProblem | null {
  if (typeof value === "boolean") {
    return walk.draft === "4" ? fail(at, `expected a schema object (draft-04 has no boolean schemas), got ${shown(value)}`) : null;
  }
  if (!isObj(value)) return fail(at, `expected a schema (an object or a boolean), got ${shown(value)}`);
  walk.visited.push({ pointer: at, schema: value });
  if (walk.draft === "4" && "id" in value) {
    const problem = string(value.id, `${at}/id`);
    if (problem) return problem;
  }
  for (const key of Object.keys(value)) {
    const rule = KEYWORDS[key];
    if (rule === undefined) continue;
    const problem = rule(value[key], `${at}/${pointerSegment(key)}`, walk);
    if (problem) return problem;
  }
  return null;
}

/** The first malformed keyword of `schema` (a parsed JSON value), or null; `visited` lists every schema object seen. */
export function schemaProblem(schema: unknown, draft: SchemaDraft): { problem: SchemaProblem | null; visited: Walk["visited"] } {
  const walk: Walk = { draft, visited: [] };
  return { problem: checkSchema(schema, "", walk), visited: walk.visited };
}
