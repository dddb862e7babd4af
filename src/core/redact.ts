/**
 * Secret redaction (issue 10): values of environment variables whose names contain TOKEN, KEY, SECRET or PASSWORD
 * are replaced by `***` in everything the orchestrator writes or sends — logs, manifests, artifacts, JSONL events,
 * telemetry attributes and notification bodies. Commands still receive the real values.
 *
 * Only values that can be secrets are redacted (issue 22): not ones shorter than MIN_SECRET_LENGTH, and not ones made
 * only of what JSON writes outside strings — `true`, `false`, `null`, numbers and punctuation. A CI runner's
 * `TOKENIZERS_PARALLELISM=false` or `USE_KEYRING=true` must not turn `"persisted":false` into `"persisted":***`:
 * JSON text is redacted with the JSON-escaped forms of the secrets only, which can match inside a string but, once
 * such values are left out, never in the structure around it.
 */
export const REDACTED = "***";
export const MIN_SECRET_LENGTH = 4;
/** Name parts that mark a variable secret, matched case-insensitively (a substring test: no regular expression to compile at every start-up). */
const SECRET_NAME_PARTS = ["TOKEN", "KEY", "SECRET", "PASSWORD"];

/** Whether a variable's name marks its value secret (the one rule: redaction, and the stage cache's key, issue 18). */
export function isSecretName(name: string): boolean {
  const upper = name.toUpperCase();
  for (const part of SECRET_NAME_PARTS) if (upper.includes(part)) return true;
  return false;
}

/** The letters JSON writes outside strings come from these literals (and the exponent of a number). */
const JSON_LITERALS = ["true", "false", "null"];

/**
 * Whether `value` could be a secret: long enough, and not something JSON itself writes outside strings (a run of
 * literals, numbers, whitespace and `:,[]{}` — "true", "12345", "null,", "1.5e3"). Such values are far too common in
 * every record to be redacted without corrupting it, and too guessable to be worth hiding.
 */
export function isRedactableSecret(value: string): boolean {
  if (value.length < MIN_SECRET_LENGTH) return false;
  if (!/^[0-9A-Za-z.+\-\s:,[\]{}]*$/.test(value)) return true;
  for (const run of value.match(/[A-Za-z]+/g) ?? []) {
    const lower = run.toLowerCase();
    if (lower === "e") continue;
    if (!JSON_LITERALS.some((literal) => literal.includes(lower))) return true;
  }
  return false;
}

export class Redactor {
  /** Raw values and their JSON-escaped forms, longest first (so a secret containing another is replaced whole). */
  private readonly needles: string[];
  /** Only the JSON-escaped forms, longest first: what a secret looks like inside JSON text. */
  private readonly jsonNeedles: string[];
  /** The raw secret values (for redacting a command's byte stream before it is chunked). */
  readonly secrets: readonly string[];

  constructor(secrets: Iterable<string>) {
    const set = new Set<string>();
    const escaped = new Set<string>();
    const raw = new Set<string>();
    for (const secret of secrets) {
      if (!isRedactableSecret(secret)) continue;
      const json = JSON.stringify(secret).slice(1, -1);
      raw.add(secret);
      set.add(secret);
      set.add(json);
      escaped.add(json);
    }
    const longestFirst = (a: string, b: string) => b.length - a.length;
    this.needles = [...set].sort(longestFirst);
    this.jsonNeedles = [...escaped].sort(longestFirst);
    this.secrets = [...raw].sort(longestFirst);
  }

  /** The secret values of an environment. */
  static fromEnv(env: Record<string, string | undefined>): Redactor {
    return new Redactor(secretValues(env));
  }

  get active(): boolean {
    return this.needles.length > 0;
  }

  /** Plain text with every secret, raw or JSON-escaped, replaced by `***`. */
  text(input: string): string {
    return replaceAll(input, this.needles);
  }

  /**
   * JSON text (a document, a JSONL line, or a fragment of one) with every secret inside its strings replaced by
   * `***`: only escaped forms are looked for, so a secret's raw `"` can never match a string's boundary.
   */
  json(input: string): string {
    return replaceAll(input, this.jsonNeedles);
  }

  strings(values: readonly string[]): string[] {
    return this.needles.length === 0 ? [...values] : values.map((v) => this.text(v));
  }

  /**
   * A JSON-like value with every string in it redacted (keys are names, never secrets). Objects and arrays are copied
   * only where something changed, so a value without secrets is returned as it is. Symbol keys are kept.
   */
  value<T>(input: T): T {
    if (this.needles.length === 0) return input;
    return this.walk(input) as T;
  }

  private walk(input: unknown): unknown {
    if (typeof input === "string") return this.text(input);
    if (input === null || typeof input !== "object") return input;
    if (Array.isArray(input)) {
      let out: unknown[] | null = null;
      for (let i = 0; i < input.length; i++) {
        const next = this.walk(input[i]);
        if (next === input[i]) continue;
        out ??= [...input];
        out[i] = next;
      }
      return out ?? input;
    }
    let out: Record<PropertyKey, unknown> | null = null;
    const source = input as Record<PropertyKey, unknown>;
    for (const key of Object.keys(source)) {
      const next = this.walk(source[key]);
      if (next !== source[key]) {
        out ??= copyOf(source);
        out[key] = next;
      }
    }
    return out ?? input;
  }
}

/** A plain copy of `source`, its symbol-keyed fields included. */
function copyOf(source: Record<PropertyKey, unknown>): Record<PropertyKey, unknown> {
  const out: Record<PropertyKey, unknown> = { ...source };
  for (const symbol of Object.getOwnPropertySymbols(source)) out[symbol] = source[symbol];
  return out;
}

function replaceAll(input: string, needles: readonly string[]): string {
  if (needles.length === 0) return input;
  let out = input;
  for (const needle of needles) if (out.includes(needle)) out = out.split(needle).join(REDACTED);
  return out;
}

/** Values of the variables whose names mark them secret. */
function secretValues(env: Record<string, string | undefined>): string[] {
  const values: string[] = [];
  for (const name of Object.keys(env)) {
    const value = env[name];
    if (value !== undefined && isSecretName(name)) values.push(value);
  }
  return values;
}

let current = new Redactor([]);

/** The process-wide redactor, configured once per invocation from the CLI's environment. */
export function secretRedactor(): Redactor {
  return current;
}

/**
 * Sets the process-wide redactor from the CLI's environment and any further environments its commands get (the
 * config's stage `env` maps: a `DEPLOY_TOKEN` given to one stage is as secret as one inherited from the shell).
 */
export function configureRedaction(env: Record<string, string | undefined>, ...more: Record<string, string | undefined>[]): Redactor {
  // Plain loops here and above: every run starts with this, and the first call of a builtin written in JavaScript
  // (flatMap, Object.entries, some) costs the process a compilation (issue 21, measured in the executable).
  const values = secretValues(env);
  for (const other of more) for (const value of secretValues(other)) values.push(value);
  current = new Redactor(values);
  return current;
}

/** Shorthand for `secretRedactor().text(text)`: plain text (messages, span attributes, summaries). */
export function redact(text: string): string {
  return current.text(text);
}

/** Shorthand for `secretRedactor().json(text)`: JSON text, whose structure is never touched. */
export function redactJson(text: string): string {
  return current.json(text);
}
