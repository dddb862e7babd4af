import * as v from "valibot";
import { NonNegativeInt, SandboxBackendChoice, SandboxBackendName, SandboxFallback } from "./common.ts";

/**
 * `sandbox check --format json` (issue 15): what this machine can enforce. `backend.selected` is what the choice in
 * effect (`--sandbox-backend`, env, config, `auto`) picks here, null with the reason when nothing can.
 */
export const SandboxCheckReport = v.looseObject({
  platform: v.string(),
  arch: v.string(),
  landlock: v.looseObject({
    /** The kernel's Landlock ABI; 0 when it has none or it is disabled. */
    abi: NonNegativeInt,
    /** ABI ≥ 3 and seccomp filters: the in-binary backend can enforce every mode. */
    usable: v.boolean(),
    reason: v.nullable(v.string()),
    /**
     * Whether sandboxed attempts on pipes are spawned by a restricted thread of the orchestrator (the sandbox thread)
     * rather than by the re-executed helper, and why not (issue 15): off with CODEX_ORCHESTRATOR_SANDBOX_THREAD=0, and
     * on Landlock ABI 6 without erratum 2. Additive.
     */
    thread: v.optional(v.looseObject({ usable: v.boolean(), reason: v.nullable(v.string()) })),
  }),
  seccomp: v.looseObject({ available: v.boolean() }),
  bwrap: v.looseObject({
    path: v.nullable(v.string()),
    usable: v.boolean(),
    reason: v.nullable(v.string()),
  }),
  /** macOS's `sandbox-exec` (the Seatbelt backend): its path, null where there is none (any other platform). */
  seatbelt: v.looseObject({
    path: v.nullable(v.string()),
    usable: v.boolean(),
    reason: v.nullable(v.string()),
  }),
  /** Whether unprivileged user namespaces are enabled (what bubblewrap needs), from /proc/sys; null when unknown. */
  userNamespaces: v.looseObject({ enabled: v.nullable(v.boolean()), detail: v.string() }),
  backend: v.looseObject({
    choice: SandboxBackendChoice,
    selected: v.nullable(SandboxBackendName),
    reason: v.nullable(v.string()),
  }),
  fallback: SandboxFallback,
});
export type SandboxCheckReport = v.InferOutput<typeof SandboxCheckReport>;
