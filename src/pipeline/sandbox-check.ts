import { loadUserGlobalConfig } from "../autonomy/approval-policy.ts";
import { chooseSandboxBackend, probeBubblewrap, probeSeatbelt, userNamespaceSupport } from "../autonomy/sandbox.ts";
import { resolveSandboxSettings } from "../autonomy/sandbox-settings.ts";
import { MIN_LANDLOCK_ABI } from "../core/sandbox-backend.ts";
import type { SandboxCheckReport } from "../core/schemas/sandbox-check.ts";
import { resolveStoreRoots } from "../run/paths.ts";
import { loadConfig } from "./config-loader.ts";
import { probeLandlock } from "./sandbox-backend.ts";

/**
 * `sandbox check` (issue 15): every backend probed as a run would probe it, and what the choice in effect (flag, env,
 * config, `auto`) selects here. Writes nothing.
 */
export async function checkSandbox(input: {
  env: Record<string, string | undefined>;
  cwd: string;
  backend?: string | undefined;
  fallback?: string | undefined;
}): Promise<SandboxCheckReport> {
  const roots = resolveStoreRoots({ env: input.env, cwd: input.cwd });
  const config = loadConfig(roots.repo);
  const settings = resolveSandboxSettings({
    cliBackend: input.backend,
    cliFallback: input.fallback,
    env: input.env,
    config: config?.config,
    configPath: config?.path,
    userConfig: loadUserGlobalConfig(input.env).config,
  });
  const landlock = await probeLandlock(input.env);
  const seccomp = process.platform === "linux" && (await import("../exec/landlock.ts")).seccompAvailable();
  const bwrap = await probeBubblewrap(input.env);
  const seatbelt = probeSeatbelt();
  const { selfCommand } = await import("../exec/self-command.ts");
  const selected = await chooseSandboxBackend({
    choice: settings.backend,
    landlock: () => landlock,
    bubblewrap: async () => bwrap,
    seatbelt: () => seatbelt,
    helper: selfCommand(),
  });
  const landlockReason =
    landlock.abi === 0
      ? landlock.reason
      : landlock.abi < MIN_LANDLOCK_ABI
        ? `ABI ${landlock.abi} cannot deny truncate(2) (needs ABI ${MIN_LANDLOCK_ABI}, Linux 6.2)`
        : null;
  const thread =
    landlockReason === null
      ? await (await import("../exec/sandbox-thread.ts")).sandboxThreadUsable(landlock.abi, input.env)
      : { usable: false, reason: landlockReason };
  return {
    platform: process.platform,
    arch: process.arch,
    landlock: {
      abi: landlock.abi,
      usable: landlockReason === null,
      reason: landlockReason,
      thread,
    },
    seccomp: { available: seccomp },
    bwrap: { path: bwrap.path, usable: bwrap.path !== null && bwrap.reason === null, reason: bwrap.reason },
    seatbelt: { path: seatbelt.path, usable: seatbelt.reason === null, reason: seatbelt.reason },
    userNamespaces: process.platform === "linux" ? userNamespaceSupport() : { enabled: null, detail: `not Linux (${process.platform})` },
    backend: {
      choice: settings.backend,
      selected: selected.name === "none" ? null : selected.name,
      reason: selected.name === "none" ? selected.reason : null,
    },
    fallback: settings.fallback,
  };
}

/** The text form: one line per fact, the verdict last. */
export function formatSandboxCheck(report: SandboxCheckReport): string[] {
  const yes = (ok: boolean) => (ok ? "yes" : "no");
  const landlock = report.landlock.abi > 0 ? `ABI ${report.landlock.abi}` : "not available";
  const lines = [
    `Platform:        ${report.platform} ${report.arch}`,
    `Landlock:        ${landlock}; usable: ${yes(report.landlock.usable)}${report.landlock.reason ? ` (${report.landlock.reason})` : ""}`,
    ...(report.landlock.usable && report.landlock.thread !== undefined
      ? [`Sandbox thread:  ${yes(report.landlock.thread.usable)}${report.landlock.thread.reason ? ` (${report.landlock.thread.reason}; the helper runs every command)` : ""}`]
      : []),
    `seccomp:         ${report.seccomp.available ? "available" : "not available"}`,
    `bubblewrap:      ${report.bwrap.path ?? "not found on PATH"}; usable: ${yes(report.bwrap.usable)}${report.bwrap.path !== null && report.bwrap.reason ? ` (${report.bwrap.reason})` : ""}`,
    `Seatbelt:        ${report.seatbelt.path ?? "not available"}; usable: ${yes(report.seatbelt.usable)}${report.seatbelt.reason ? ` (${report.seatbelt.reason})` : ""}`,
    `User namespaces: ${report.userNamespaces.detail}`,
    `Fallback:        ${report.fallback}`,
  ];
  lines.push(
    report.backend.selected !== null
      ? `Backend:         ${report.backend.selected} (--sandbox-backend ${report.backend.choice})`
      : `Backend:         none (--sandbox-backend ${report.backend.choice}): ${report.backend.reason}`,
  );
  return lines;
}
