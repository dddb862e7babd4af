import { canonicalJson } from "../core/canonical-json.ts";
import type { CacheFingerprint } from "../core/schemas/cache.ts";
import { sha256Of } from "../core/sha256.ts";
import { digestFiles } from "./input-files.ts";

/** What a cacheable stage's key is made of (issue 18), before its inputs are read. */
export type KeyInput = {
  command: string;
  /** Absolute cwd of the stage, and the repository root it is recorded relative to. */
  cwd: string;
  cwdFromRepo: string;
  /** The stage's own `env` (not the CLI's environment). */
  env: Record<string, string>;
  inputPatterns: readonly string[];
  outputPatterns: readonly string[];
  /** Dependency id → its key (or the digest of its definition when it is not cached). */
  needs: Record<string, string>;
  sandbox: string | null;
  network: boolean;
  version: string;
};

/**
 * The fingerprint of a stage as its inputs are now. Every environment value is stored as a digest only (the digest
 * of a secret-looking name's value is as far as it ever goes): the fingerprint lands in the store and names what
 * changed, never what the value was.
 */
export function fingerprintOf(input: KeyInput): CacheFingerprint {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.env)) env[name] = sha256Of(`env\0${name}\0${value}`);
  return {
    command: sha256Of(`command\0${input.command}`),
    cwd: input.cwdFromRepo === "" ? "." : input.cwdFromRepo,
    env,
    inputs: digestFiles(input.cwd, input.inputPatterns),
    inputPatterns: [...input.inputPatterns],
    outputPatterns: [...input.outputPatterns],
    needs: { ...input.needs },
    sandbox: input.sandbox,
    network: input.network,
    version: input.version,
  };
}

/** The key: one digest over the whole fingerprint, key order and all (canonical JSON). */
export function keyOf(fingerprint: CacheFingerprint): string {
  return sha256Of(canonicalJson({ cacheKeyVersion: 1, ...fingerprint }));
}

/** At most this many changes are named in a miss reason; the rest are counted. */
const MAX_NAMED = 5;

/** What differs between the fingerprint of the last stored entry and the current one, as one line. */
export function fingerprintChange(before: CacheFingerprint, after: CacheFingerprint): string {
  const changes: string[] = [];
  if (before.version !== after.version) changes.push(`tool version changed (${before.version} → ${after.version})`);
  if (before.command !== after.command) changes.push("command changed");
  if (before.cwd !== after.cwd) changes.push(`cwd changed (${before.cwd} → ${after.cwd})`);
  if (before.sandbox !== after.sandbox || before.network !== after.network) changes.push("sandbox changed");
  if (canonicalJson(before.inputPatterns) !== canonicalJson(after.inputPatterns)) changes.push("inputs patterns changed");
  if (canonicalJson(before.outputPatterns) !== canonicalJson(after.outputPatterns)) changes.push("outputs patterns changed");
  changes.push(...recordChanges("env", before.env, after.env));
  changes.push(...recordChanges("input", before.inputs, after.inputs));
  for (const [id, key] of Object.entries(after.needs)) {
    if (before.needs[id] === undefined) changes.push(`needs ${id} added`);
    else if (before.needs[id] !== key) changes.push(`dependency ${id} changed`);
  }
  for (const id of Object.keys(before.needs)) if (after.needs[id] === undefined) changes.push(`needs ${id} removed`);
  if (changes.length === 0) return "no entry for this key";
  const named = changes.slice(0, MAX_NAMED).join("; ");
  return changes.length > MAX_NAMED ? `${named}; and ${changes.length - MAX_NAMED} more` : named;
}

function recordChanges(what: string, before: Record<string, string>, after: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [name, digest] of Object.entries(after)) {
    if (before[name] === undefined) out.push(`${what} ${name} added`);
    else if (before[name] !== digest) out.push(`${what} ${name} changed`);
  }
  for (const name of Object.keys(before)) if (after[name] === undefined) out.push(`${what} ${name} removed`);
  return out;
}
