import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deriveApprovalKey, validateApprovalKey } from "../../src/autonomy/approval-key.ts";
import {
  loadUserGlobalConfig,
  parseApprovalPolicyOption,
  resolveApprovalPolicy,
  resolveSandboxMode,
} from "../../src/autonomy/approval-policy.ts";
import { UsageError } from "../../src/core/errors.ts";
import { scratchDir } from "../helpers/cli.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function userConfig(text: string | null) {
  const home = scratchDir("co-user-config-");
  dirs.push(home);
  if (text !== null) {
    mkdirSync(join(home, "codex-orchestrator"));
    writeFileSync(join(home, "codex-orchestrator", "config.json"), text);
  }
  return { env: { XDG_CONFIG_HOME: home }, path: join(home, "codex-orchestrator", "config.json") };
}

describe("approval policy resolution", () => {
  test("CLI > config file > user-global > on-request", () => {
    const user = { approvalPolicy: "never" as const };
    expect(resolveApprovalPolicy({ cli: "untrusted", config: "on-failure", userConfig: user })).toEqual({ policy: "untrusted", source: "cli" });
    expect(resolveApprovalPolicy({ config: "on-failure", userConfig: user })).toEqual({ policy: "on-failure", source: "config" });
    expect(resolveApprovalPolicy({ userConfig: user })).toEqual({ policy: "never", source: "user-config" });
    expect(resolveApprovalPolicy({})).toEqual({ policy: "on-request", source: "default" });
  });

  test("an invalid --approval-policy is a usage error (exit 2) with the SPEC message", () => {
    let error: unknown;
    try {
      parseApprovalPolicyOption("sometimes");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as Error).message).toBe(
      "Invalid value for --approval-policy: sometimes (expected untrusted, on-failure, on-request or never).",
    );
  });

  test("sandbox mode: --sandbox > stage > pipeline > user-global, else none", () => {
    expect(resolveSandboxMode({ cli: "read-only", stage: "workspace-write" })).toBe("read-only");
    expect(resolveSandboxMode({ stage: "workspace-write", pipeline: "read-only" })).toBe("workspace-write");
    expect(resolveSandboxMode({ userConfig: { sandboxMode: "read-only" } })).toBe("read-only");
    expect(resolveSandboxMode({})).toBeNull();
    expect(() => resolveSandboxMode({ cli: "strict" })).toThrow(
      "Invalid value for --sandbox: strict (expected read-only, workspace-write or danger-full-access).",
    );
  });
});

describe("user-global config", () => {
  test("missing file is no configuration; a valid file is read", () => {
    expect(loadUserGlobalConfig(userConfig(null).env).config).toEqual({});
    expect(loadUserGlobalConfig(userConfig('{"approvalPolicy":"never","sandboxMode":"read-only"}').env).config).toEqual({
      approvalPolicy: "never",
      sandboxMode: "read-only",
    });
  });

  test("bad JSON or a bad value names the file and the pointer", () => {
    const bad = userConfig("{");
    expect(() => loadUserGlobalConfig(bad.env)).toThrow(`Invalid config ${bad.path}: invalid JSON: `);
    const wrong = userConfig('{"approvalPolicy":"always"}');
    expect(() => loadUserGlobalConfig(wrong.env)).toThrow(
      `Invalid config ${wrong.path}: /approvalPolicy: expected untrusted, on-failure, on-request or never`,
    );
  });
});

describe("approval keys", () => {
  test("derived from command, cwd and sandbox mode: 16 hex digits, stable, distinct", () => {
    const base = { command: "npm run deploy", cwd: "/repo", sandboxMode: "workspace-write" };
    const key = deriveApprovalKey(base);
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(deriveApprovalKey({ ...base })).toBe(key);
    expect(deriveApprovalKey({ ...base, cwd: "/other" })).not.toBe(key);
    expect(deriveApprovalKey({ ...base, sandboxMode: null })).not.toBe(key);
    expect(deriveApprovalKey({ ...base, command: "npm run deploy2" })).not.toBe(key);
  });

  test("given keys are validated", () => {
    expect(validateApprovalKey("deploy-prod", "config")).toBe("deploy-prod");
    expect(() => validateApprovalKey("../x", "config")).toThrow('Invalid approval key "../x" from config');
  });
});
