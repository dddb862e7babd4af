/**
 * Secret redaction (issue 10): values of environment variables whose names contain TOKEN, KEY, SECRET or PASSWORD
 * are replaced by `***` in everything the orchestrator writes or sends — logs, manifests, artifacts, JSONL events,
 * telemetry attributes and notification bodies. Commands still receive the real values. Values shorter than
 * MIN_SECRET_LENGTH are left alone: redacting "1" or "on" would mangle every output.
 */
export const REDACTED = "***";
export const MIN_SECRET_LENGTH = 4;
const SECRET_NAME = /TOKEN|KEY|SECRET|PASSWORD/i;

export class Redactor {
  /** Raw values and their JSON-escaped forms, longest first (so a secret containing another is replaced whole). */
  private readonly needles: string[];
  /** The raw secret values (for redacting a command's byte stream before it is chunked). */
  readonly secrets: readonly string[];

  constructor(secrets: Iterable<string>) {
    const set = new Set<string>();
    const raw = new Set<string>();
    for (const secret of secrets) {
      if (secret.length < MIN_SECRET_LENGTH) continue;
      raw.add(secret);
      set.add(secret);
      set.add(JSON.stringify(secret).slice(1, -1));
    }
    this.needles = [...set].sort((a, b) => b.length - a.length);
    this.secrets = [...raw].sort((a, b) => b.length - a.length);
  }

  /** The secret values of an environment. */
  static fromEnv(env: Record<string, string | undefined>): Redactor {
    return new Redactor(secretValues(env));
  }

  get active(): boolean {
    return this.needles.length > 0;
  }

  /** Text (plain or JSON) with every secret replaced by `***`. */
  text(input: string): string {
    if (this.needles.length === 0) return input;
    let out = input;
    for (const needle of this.needles) if (out.includes(needle)) out = out.split(needle).join(REDACTED);
    return out;
  }

  strings(values: readonly string[]): string[] {
    return this.needles.length === 0 ? [...values] : values.map((v) => this.text(v));
  }
}

/** Values of the variables whose names mark them secret. */
function secretValues(env: Record<string, string | undefined>): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && SECRET_NAME.test(name)) values.push(value);
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
  current = new Redactor([env, ...more].flatMap(secretValues));
  return current;
}

/** Shorthand for `secretRedactor().text(text)`. */
export function redact(text: string): string {
  return current.text(text);
}
