import * as v from "valibot";
import { UsageError } from "../core/errors.ts";
import type { UserGlobalConfig } from "../core/schemas/approvals.ts";
import { SandboxBackendChoice, SandboxFallback } from "../core/schemas/common.ts";

/**
 * Where the sandbox backend and the fallback come from (issue 15), first match wins: the flag, the environment
 * variable, the repository config, the user-global config, the default (`auto`; `fail`). A bad value anywhere is a
 * usage error naming where it came from (exit 2), before anything runs.
 */
export type SandboxSettings = { backend: SandboxBackendChoice; fallback: SandboxFallback };

export const SANDBOX_BACKEND_ENV = "CODEX_ORCHESTRATOR_SANDBOX_BACKEND";
export const SANDBOX_FALLBACK_ENV = "CODEX_ORCHESTRATOR_SANDBOX_FALLBACK";

export function resolveSandboxSettings(input: {
  cliBackend?: string | undefined;
  cliFallback?: string | undefined;
  env: Record<string, string | undefined>;
  config?: { sandboxBackend?: string | undefined; sandboxFallback?: string | undefined } | undefined;
  configPath?: string | undefined;
  userConfig?: UserGlobalConfig | undefined;
}): SandboxSettings {
  const where = (key: string) => `config ${input.configPath ?? ""} /${key}`;
  const backend = pick(SandboxBackendChoice, "auto, landlock, bwrap or seatbelt", [
    [input.cliBackend, "--sandbox-backend"],
    [input.env[SANDBOX_BACKEND_ENV], SANDBOX_BACKEND_ENV],
    [input.config?.sandboxBackend, where("sandboxBackend")],
    [input.userConfig?.sandboxBackend, "user config /sandboxBackend"],
  ]);
  const fallback = pick(SandboxFallback, "fail or unsandboxed", [
    [input.cliFallback, "--sandbox-fallback"],
    [input.env[SANDBOX_FALLBACK_ENV], SANDBOX_FALLBACK_ENV],
    [input.config?.sandboxFallback, where("sandboxFallback")],
    [input.userConfig?.sandboxFallback, "user config /sandboxFallback"],
  ]);
  return { backend: backend ?? "auto", fallback: fallback ?? "fail" };
}

function pick<T extends string>(schema: v.GenericSchema<unknown, T>, expected: string, sources: [string | undefined, string][]): T | null {
  for (const [value, where] of sources) {
    if (value === undefined || value === "") continue;
    const parsed = v.safeParse(schema, value);
    if (parsed.success) return parsed.output;
    throw new UsageError(`Invalid value for ${where}: ${value} (expected ${expected}).`);
  }
  return null;
}
