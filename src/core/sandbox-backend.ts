/**
 * The sandbox backend found for this process (issue 15): what the exec layer's probe hands the autonomy layer, which
 * wraps attempts with it. `none` carries why no backend can enforce a sandbox here (the fail-closed message says it).
 */
export type SandboxBackend =
  /** The in-binary helper: `helper` is the argv that runs this executable (it then takes the helper entry word). */
  | { name: "landlock"; abi: number; helper: readonly string[] }
  | { name: "bwrap"; path: string }
  /** macOS: `/usr/bin/sandbox-exec` with a generated profile (`autonomy/seatbelt-profile.ts`). */
  | { name: "seatbelt"; path: string }
  | { name: "none"; reason: string };

/** Landlock ABI 3 (Linux 6.2) is the oldest that can refuse truncate(2), so the oldest that can keep a file read-only. */
export const MIN_LANDLOCK_ABI = 3;

/** Set to `1`, Landlock counts as unavailable (tests prove the fail-closed path on a kernel that has it). */
export const NO_LANDLOCK_TEST_ENV = "CODEX_ORCHESTRATOR_TEST_NO_LANDLOCK";

/** The kernel's Landlock ABI (≥ 1 when usable), or 0 with the reason. */
export type LandlockProbe = { abi: number; reason: string | null };
