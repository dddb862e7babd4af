import { type LandlockProbe, chooseSandboxBackend, probeBubblewrap } from "../autonomy/sandbox.ts";
import type { SandboxBackend } from "../core/sandbox-backend.ts";
import type { SandboxBackendChoice } from "../core/schemas/common.ts";

/**
 * The sandbox backend of one invocation (issue 15): the `--sandbox-backend` choice over the exec layer's Landlock
 * probe and the autonomy layer's bubblewrap probe, looked up once and only when a command asks for a sandbox. The
 * Landlock module (bun:ffi) is loaded only then.
 */
export function sandboxBackendLookup(choice: SandboxBackendChoice, env: Record<string, string | undefined>): () => Promise<SandboxBackend> {
  let found: Promise<SandboxBackend> | null = null;
  return () => {
    found ??= (async () => {
      const { selfCommand } = await import("../exec/self-command.ts");
      return chooseSandboxBackend({ choice, landlock: () => probeLandlock(env), bubblewrap: () => probeBubblewrap(env), helper: selfCommand() });
    })();
    return found;
  };
}

/**
 * The kernel's Landlock ABI, or 0 with the reason; seccomp (the helper's network filter) is required too. A helper
 * started ahead that has reported its own probe by now answers; otherwise the Landlock module (bun:ffi) is loaded
 * and asked.
 */
export async function probeLandlock(env: Record<string, string | undefined>): Promise<LandlockProbe> {
  const reported = (await import("../exec/sandbox-thread.ts")).sandboxThreadProbe() ?? (await import("../exec/sandbox-prespawn.ts")).prespawnedLandlockProbe();
  if (reported !== null) return reported;
  return (await import("../exec/landlock.ts")).probeLandlockSandbox(env);
}
