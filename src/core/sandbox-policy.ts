/**
 * What the in-binary sandbox helper enforces (issue 15), and how it travels on the helper's command line. The
 * autonomy layer encodes it when it wraps an attempt; `src/exec/sandbox-helper.ts` decodes it in the re-executed
 * binary. Plain checks, no valibot: the helper is a fast path and loads as little as it can.
 */

/** The hidden first argument that makes the executable the sandbox helper (dispatched first by `src/main.ts`). */
export const SANDBOX_HELPER_ENTRY = "__sandbox-exec";

/**
 * How every line of the helper's own starts (it prints one only when it runs nothing): a setup failure exits 1, a
 * command it cannot execute 127/126 with the runner's own spawn-error text after the prefix.
 */
export const SANDBOX_HELPER_PREFIX = "codex-orchestrator sandbox: ";

/** The policy version on the wire: a helper refuses one it does not know rather than guess. */
const WIRE_VERSION = 1;

/** The modes a sandbox backend enforces (`danger-full-access` and no mode run unconfined). */
export function confiningMode(mode: unknown): mode is "read-only" | "workspace-write" {
  return mode === "read-only" || mode === "workspace-write";
}

export type SandboxPolicy = {
  mode: "read-only" | "workspace-write";
  /** Directories writable under `workspace-write` (ignored under `read-only`); missing ones are skipped. */
  writableRoots: string[];
  networkAllowed: boolean;
};

export function encodeSandboxPolicy(policy: SandboxPolicy): string {
  return JSON.stringify({
    v: WIRE_VERSION,
    mode: policy.mode,
    write: policy.mode === "workspace-write" ? policy.writableRoots : [],
    net: policy.networkAllowed,
  });
}

/** The policy, or the reason it cannot be read (the helper then refuses to run anything). */
export function decodeSandboxPolicy(text: string): SandboxPolicy | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return "the sandbox policy is not JSON";
  }
  if (typeof raw !== "object" || raw === null) return "the sandbox policy is not an object";
  const r = raw as Record<string, unknown>;
  if (r.v !== WIRE_VERSION) return `unknown sandbox policy version ${String(r.v)}`;
  if (r.mode !== "read-only" && r.mode !== "workspace-write") return `unknown sandbox mode ${String(r.mode)}`;
  if (!Array.isArray(r.write) || !r.write.every((p) => typeof p === "string" && p.startsWith("/"))) {
    return "the writable roots must be absolute paths";
  }
  if (typeof r.net !== "boolean") return "the network setting must be a boolean";
  return { mode: r.mode, writableRoots: r.write as string[], networkAllowed: r.net };
}
