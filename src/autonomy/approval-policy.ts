import { existsSync, readFileSync } from "node:fs";
import * as v from "valibot";
import { UsageError, errorMessage } from "../core/errors.ts";
import { UserGlobalConfig } from "../core/schemas/approvals.ts";
import { ApprovalPolicy, SandboxMode, oneOf } from "../core/schemas/common.ts";
import { type Env, userConfigPath } from "./xdg-paths.ts";


/** With no policy anywhere: ask in a terminal for what needs approval, never escalate without a grant. */
export const DEFAULT_APPROVAL_POLICY: ApprovalPolicy = "on-request";

export type PolicySource = "cli" | "config" | "user-config" | "default";

export function isApprovalPolicy(value: unknown): value is ApprovalPolicy {
  return v.is(ApprovalPolicy, value);
}

/** `--approval-policy` value, checked (SPEC §4.2 message). */
export function parseApprovalPolicyOption(value: string): ApprovalPolicy {
  if (isApprovalPolicy(value)) return value;
  throw new UsageError(
    `Invalid value for --approval-policy: ${value} (expected ${oneOf(ApprovalPolicy.options)}).`,
  );
}

/** `--sandbox` value, checked. */
export function parseSandboxModeOption(value: string): SandboxMode {
  if (v.is(SandboxMode, value)) return value;
  throw new UsageError(
    `Invalid value for --sandbox: ${value} (expected ${oneOf(SandboxMode.options)}).`,
  );
}

/**
 * Reads the user-global config. A missing file is no configuration; a broken one is a usage error naming the file
 * and the JSON pointer, like the repository config (SPEC §6.1).
 */
export function loadUserGlobalConfig(env: Env = process.env): { path: string; config: UserGlobalConfig } {
  const path = userConfigPath(env);
  // Usually missing: asking first spares an exception (start-up, issue 21).
  if (!existsSync(path)) return { path, config: {} };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { path, config: {} };
    throw new UsageError(`Invalid config ${path}: ${errorMessage(error)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`Invalid config ${path}: invalid JSON: ${errorMessage(error)}`);
  }
  const parsed = v.safeParse(UserGlobalConfig, raw);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const pointer = (issue.path ?? []).map((item) => `/${String(item.key)}`).join("");
    throw new UsageError(`Invalid config ${path}: ${pointer}: ${explain(pointer, issue.message)}`);
  }
  return { path, config: parsed.output };
}

function explain(pointer: string, fallback: string): string {
  if (pointer === "/approvalPolicy") return "expected untrusted, on-failure, on-request or never";
  if (pointer === "/sandboxMode") return "expected read-only, workspace-write or danger-full-access";
  if (pointer === "/sandboxBackend") return "expected auto, landlock, bwrap or seatbelt";
  if (pointer === "/sandboxFallback") return "expected fail or unsandboxed";
  if (pointer === "") return "expected an object";
  return fallback;
}

export type ResolvedPolicy = { policy: ApprovalPolicy; source: PolicySource };

/**
 * The effective approval policy: `--approval-policy` > the repository config (`approvalPolicy`, already validated by
 * its loader) > the user-global config > `on-request`. The CLI value is validated here.
 */
export function resolveApprovalPolicy(input: {
  cli?: string | undefined;
  config?: ApprovalPolicy | undefined;
  userConfig?: UserGlobalConfig | undefined;
}): ResolvedPolicy {
  if (input.cli !== undefined) return { policy: parseApprovalPolicyOption(input.cli), source: "cli" };
  if (input.config !== undefined) return { policy: input.config, source: "config" };
  if (input.userConfig?.approvalPolicy !== undefined) {
    return { policy: input.userConfig.approvalPolicy, source: "user-config" };
  }
  return { policy: DEFAULT_APPROVAL_POLICY, source: "default" };
}

/**
 * The sandbox mode of one command: `--sandbox` > stage > pipeline > user-global default; `null` = no sandbox asked
 * for (the command runs unsandboxed and says so).
 */
export function resolveSandboxMode(input: {
  cli?: string | undefined;
  stage?: SandboxMode | undefined;
  pipeline?: SandboxMode | undefined;
  userConfig?: UserGlobalConfig | undefined;
}): SandboxMode | null {
  if (input.cli !== undefined) return parseSandboxModeOption(input.cli);
  return input.stage ?? input.pipeline ?? input.userConfig?.sandboxMode ?? null;
}
