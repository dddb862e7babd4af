/**
 * Byte counts as people write them (`--max-output-bytes`, config `maxOutputBytes`): `1048576`, `64KiB`, `512MiB`,
 * `1GiB`, or the decimal `500kB`, `100MB`, `2GB`, `1TB` (case-insensitive; `k`/`m`/`g` alone are binary, as in `du`).
 */
const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1000 ** 4,
};

/** The number of bytes, or null when `text` is not a positive size. */
export function parseByteSize(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (match === null) return null;
  const unit = UNITS[(match[2] as string).toLowerCase()];
  if (unit === undefined) return null;
  const bytes = Math.floor(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : null;
}

export const BYTE_SIZE_HINT = "a positive byte count such as 1048576, 64MiB or 2GB";

/** A byte count for people: `512 B`, `1.5 KiB`, `64.0 MiB`, `2.00 GiB` (binary units, as `du -h`). */
export function formatByteCount(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
