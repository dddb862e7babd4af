import { redactJson } from "../core/redact.ts";
import { writeFileAtomic } from "../platform/atomic-write.ts";

/** Pretty JSON (2 spaces). `trailingNewline` defaults to true; `state.json` is written without one (SPEC §7.2). */
export function prettyJson(value: unknown, trailingNewline = true): string {
  const text = JSON.stringify(value, null, 2);
  return trailingNewline ? `${text}\n` : text;
}

export async function writeJsonAtomic(
  path: string,
  value: unknown,
  options: { trailingNewline?: boolean } = {},
): Promise<void> {
  // Every JSON record the run store writes goes through here: secrets never reach the disk (issue 10).
  await writeFileAtomic(path, redactJson(prettyJson(value, options.trailingNewline ?? true)));
}
