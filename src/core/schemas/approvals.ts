import * as v from "valibot";
import { CommandRules, HooksConfig } from "./command-policy.ts";
import { ApprovalPolicy, IsoTimestamp, SandboxBackendChoice, SandboxFallback, SandboxMode } from "./common.ts";

/**
 * An approval key: derived keys are 16 lowercase hex digits (a sha256 prefix), keys given in the config are free-form
 * but must be safe to print and to pass on a command line (`approvals grant <key>`).
 */
export const APPROVAL_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const ApprovalKey = v.pipe(
  v.string(),
  v.regex(APPROVAL_KEY_PATTERN, "expected 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit"),
);

/**
 * One cached grant in the global approval cache. Only what a person needs to recognise the grant in `approvals list`:
 * never tokens, never the environment.
 */
export const ApprovalGrant = v.looseObject({
  key: ApprovalKey,
  grantedAt: IsoTimestamp,
  /** How it was granted: answered "approve always" at a prompt, or `approvals grant <key>`. */
  source: v.picklist(["prompt", "cli"]),
  kind: v.optional(v.picklist(["run", "escalate"])),
  tool: v.optional(v.string()),
  description: v.optional(v.string()),
  cwd: v.optional(v.string()),
  sandboxMode: v.optional(v.nullable(v.string())),
});
export type ApprovalGrant = v.InferOutput<typeof ApprovalGrant>;

/** `$XDG_STATE_HOME/codex-orchestrator/approvals.json`. */
export const ApprovalCacheFile = v.looseObject({
  version: v.literal(1),
  grants: v.record(v.string(), ApprovalGrant),
});
export type ApprovalCacheFile = v.InferOutput<typeof ApprovalCacheFile>;

/** `$XDG_CONFIG_HOME/codex-orchestrator/config.json`: the user's defaults, below the CLI and the repo config. */
export const UserGlobalConfig = v.looseObject({
  approvalPolicy: v.optional(ApprovalPolicy),
  sandboxMode: v.optional(SandboxMode),
  /** Defaults of `--sandbox-backend` and `--sandbox-fallback` (issue 15), below the repository config. */
  sandboxBackend: v.optional(SandboxBackendChoice),
  sandboxFallback: v.optional(SandboxFallback),
  /** The user's own command rules and hooks (issue 19): they apply in every repository, beside the repo's. */
  rules: v.optional(CommandRules),
  hooks: v.optional(HooksConfig),
});
export type UserGlobalConfig = v.InferOutput<typeof UserGlobalConfig>;

/** A stage's `approval` setting in `codex.orchestrator.json`: `{required: true, key?: "deploy-prod"}`. */
export const StageApprovalConfig = v.looseObject({
  required: v.boolean(),
  key: v.optional(ApprovalKey),
});
export type StageApprovalConfig = v.InferOutput<typeof StageApprovalConfig>;

/** A pipeline's or stage's `sandbox` setting: a mode, or `{mode, network?}` (network is off by default). */
export const SandboxSetting = v.union([
  SandboxMode,
  v.looseObject({ mode: SandboxMode, network: v.optional(v.boolean()) }),
]);
export type SandboxSetting = v.InferOutput<typeof SandboxSetting>;
