import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError, errorMessage } from "../core/errors.ts";
import { sha256Hex } from "../core/sha256.ts";
import type { InstructionsRecord } from "../core/schemas/manifest.ts";

/** Candidate files, relative to `<repo>`, in merge order (SPEC §18). */
export const INSTRUCTION_CANDIDATES = ["AGENTS.md", "docs/AGENTS.md", ".agent/AGENTS.md"] as const;

export type InstructionSource = { path: string; bytes: number };

/** The merged instructions: `hash` is null when no candidate had content. */
export type LoadedInstructions = { combined: string; hash: string | null; sources: InstructionSource[] };

/** The manifest fields that carry the instructions (SPEC §8.1). */
export type InstructionFields = {
  instructions_hash: string | null;
  instructions_sources: string[];
  instructions: InstructionsRecord;
};

function readCandidate(abs: string): Buffer | null {
  // Most candidates are missing: asking first spares an exception each (the first costs ~0.4 ms, measured).
  if (!existsSync(abs)) return null;
  try {
    // Synchronous: three small files, read once per run; each awaited read costs a thread-pool round trip.
    return readFileSync(abs);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: a parent (e.g. `docs`) is a file, so the candidate does not exist.
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw new UsageError(`Failed to read instructions ${abs}: ${errorMessage(error)}`, { cause: error });
  }
}

/**
 * Reads `AGENTS.md`, `docs/AGENTS.md`, `.agent/AGENTS.md` from `<repo>` as UTF-8, trimmed; missing or blank files are
 * skipped; `combined` = contents joined by a blank line; `hash` = SHA-256 hex of `combined`.
 */
export async function loadInstructions(repo: string): Promise<LoadedInstructions> {
  const parts: string[] = [];
  const sources: InstructionSource[] = [];
  for (const candidate of INSTRUCTION_CANDIDATES) {
    const bytes = readCandidate(join(repo, candidate));
    if (bytes === null) continue;
    // Buffer's decoder: the first TextDecoder of a process costs milliseconds of start-up (profiled).
    const text = bytes.toString("utf8").trim();
    if (text === "") continue;
    parts.push(text);
    sources.push({ path: candidate, bytes: bytes.byteLength });
  }
  if (sources.length === 0) return { combined: "", hash: null, sources };
  const combined = parts.join("\n\n").trim();
  return { combined, hash: sha256Hex(combined), sources };
}

export function instructionFields(loaded: LoadedInstructions): InstructionFields {
  return {
    instructions_hash: loaded.hash || null,
    instructions_sources: loaded.sources.map((s) => s.path),
    instructions: { hash: loaded.hash || null, sources: loaded.sources.map((s) => ({ path: s.path, bytes: s.bytes })) },
  };
}

