import { UsageError } from "./errors.ts";

/**
 * One setting read from several places, first match wins: typically the flag, the environment variable, the
 * repository config, the user-global config. Each source is `[value, where]`; an unset or empty value is skipped; a
 * value that does not parse is a usage error naming where it came from (exit 2), before anything runs — a bad value
 * is never skipped in favour of a lower source.
 */
export type SettingSource<V = string | number> = readonly [value: V | undefined, where: string];

export function firstSetting<T, V = string | number>(
  parse: (value: V) => T | null,
  expected: string,
  sources: readonly SettingSource<V>[],
): T | null {
  for (const [value, where] of sources) {
    if (value === undefined || value === "") continue;
    const parsed = parse(value);
    if (parsed === null) throw new UsageError(`Invalid value for ${where}: ${String(value)} (expected ${expected}).`);
    return parsed;
  }
  return null;
}
