/**
 * How a sandbox helper started ahead of its command (issue 15, `sandbox-prespawn.ts`) learns it: the runner writes one
 * JSON message on the helper's descriptor 3 and closes it; the helper reads to end-of-file. End-of-file with nothing
 * read means "run nothing" (the orchestrator decided not to run, or died). Shared by both ends; no imports, because
 * the helper loads as little as it can.
 */

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
