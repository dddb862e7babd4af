import { constants } from "node:os";

/** Bun reports a signal death by name or number; results always carry the name ("SIGKILL"). */
export function signalName(code: string | number | null | undefined): string | null {
  if (code === null || code === undefined) return null;
  if (typeof code === "string") return code;
  const entry = Object.entries(constants.signals).find(([, n]) => n === code);
  return entry === undefined ? `SIG${code}` : entry[0];
}

/** The number of a signal name on this platform ("SIGTERM" → 15), null when it has none. */
export function signalNumber(name: string): number | null {
  const n = (constants.signals as Record<string, number | undefined>)[name];
  return n === undefined ? null : n;
}
