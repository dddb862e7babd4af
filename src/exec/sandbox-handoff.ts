/**
 * How a sandbox helper started ahead of its command (issue 15, `sandbox-prespawn.ts`) learns it: the runner writes one
 * JSON message on the helper's descriptor 3 and closes it; the helper reads to end-of-file. End-of-file with nothing
 * read means "run nothing" (the orchestrator decided not to run, or died). Before it waits, the helper writes one
 * line the other way: what its Landlock probe found (`encodeReady`), so that the orchestrator need not load `bun:ffi`
 * and probe the kernel itself (the helper inherited its seccomp filters and environment: the answer is the same).
 * Shared by both ends; only type imports, because the helper loads as little as it can.
 */
import type { LandlockProbe } from "../core/sandbox-backend.ts";

/** The helper's first argument after the entry word when it is to wait for its command on `HANDOFF_FD`. */
export const HANDOFF_FLAG = "--handoff";
export const HANDOFF_FD = 3;
const HANDOFF_VERSION = 1;

export type SandboxHandoff = {
  /** What follows the entry word on an ordinary helper command line: `<policy> -- <argv…>`. */
  args: string[];
  /** The command's whole environment (the helper itself was started with the orchestrator's). */
  env: Record<string, string>;
  /** The command's working directory (the helper was started in `/`). */
  cwd: string;
};

export function encodeHandoff(handoff: SandboxHandoff): string {
  return JSON.stringify({ v: HANDOFF_VERSION, ...handoff });
}

/** The handoff, or what is wrong with it (the helper then runs nothing). */
export function decodeHandoff(text: string): SandboxHandoff | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return "the handoff is not JSON";
  }
  if (typeof raw !== "object" || raw === null) return "the handoff is not an object";
  const r = raw as Record<string, unknown>;
  if (r.v !== HANDOFF_VERSION) return `unknown handoff version ${String(r.v)}`;
  if (!Array.isArray(r.args) || !r.args.every((a) => typeof a === "string")) return "the handoff's args must be strings";
  if (typeof r.cwd !== "string" || !r.cwd.startsWith("/")) return "the handoff's cwd must be an absolute path";
  if (typeof r.env !== "object" || r.env === null || !Object.values(r.env).every((v) => typeof v === "string")) {
    return "the handoff's env must map names to strings";
  }
  return { args: r.args as string[], env: r.env as Record<string, string>, cwd: r.cwd };
}

/** The helper's one line on descriptor 3 before it waits: its probe, newline-terminated. */
export function encodeReady(probe: LandlockProbe): string {
  return `${JSON.stringify({ v: HANDOFF_VERSION, abi: probe.abi, reason: probe.reason })}\n`;
}

/** The probe in a ready line (without its newline), or null when the line is not one. */
export function decodeReady(line: string): LandlockProbe | null {
  try {
    const raw = JSON.parse(line) as Record<string, unknown>;
    if (raw.v !== HANDOFF_VERSION || !Number.isInteger(raw.abi) || (raw.reason !== null && typeof raw.reason !== "string")) return null;
    return { abi: raw.abi as number, reason: raw.reason as string | null };
  } catch {
    return null;
  }
}
