import * as v from "valibot";
import type { UserGlobalConfig } from "../core/schemas/approvals.ts";
import { SandboxBackendChoice, SandboxFallback } from "../core/schemas/common.ts";
import { firstSetting } from "../core/setting-sources.ts";

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
  const backend = firstSetting(picklist(SandboxBackendChoice), "auto, landlock, bwrap or seatbelt", [
    [input.cliBackend, "--sandbox-backend"],
    [input.env[SANDBOX_BACKEND_ENV], SANDBOX_BACKEND_ENV],
    [input.config?.sandboxBackend, where("sandboxBackend")],
    [input.userConfig?.sandboxBackend, "user config /sandboxBackend"],
  ]);
  const fallback = firstSetting(picklist(SandboxFallback), "fail or unsandboxed", [
    [input.cliFallback, "--sandbox-fallback"],
    [input.env[SANDBOX_FALLBACK_ENV], SANDBOX_FALLBACK_ENV],
    [input.config?.sandboxFallback, where("sandboxFallback")],
    [input.userConfig?.sandboxFallback, "user config /sandboxFallback"],
  ]);
  return { backend: backend ?? "auto", fallback: fallback ?? "fail" };
}

/** A parser for `firstSetting` from a valibot schema of the allowed values. */
function picklist<T extends string>(schema: v.GenericSchema<unknown, T>): (value: string) => T | null {
  return (value) => {
    const parsed = v.safeParse(schema, value);
    return parsed.success ? parsed.output : null;
  };
}
