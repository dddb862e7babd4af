/**
 * The macOS backend (issue 15): a Seatbelt profile (the SBPL that `/usr/bin/sandbox-exec -p` takes) generated for one
 * attempt, and the command line that runs the command under it. Pure, so the profile is checked here as text (golden
 * profiles in test/autonomy/seatbelt-profile.test.ts); its enforcement was NOT tested on a real Mac (the guide says so).
 *
 * The profile denies by default and then allows what a command needs to run: executing and forking, reading every
 * file (as on Linux, the sandbox keeps a command from changing the machine, not from seeing it), writing the null and
 * terminal devices, the system information calls a process makes at start; under `workspace-write`, every write
 * beneath the writable roots; the network only when it is allowed (local Unix sockets always).
 */

export type SeatbeltPolicy = {
  mode: "read-only" | "workspace-write";
  /** Resolved (realpath) directories writable under `workspace-write`; Seatbelt matches the real path of a file. */
  writableRoots: readonly string[];
  networkAllowed: boolean;
};

/** Where macOS ships it; a profile is only ever run by this one. */
export const SANDBOX_EXEC_PATH = "/usr/bin/sandbox-exec";

/**
 * A path as an SBPL string literal: inside double quotes a backslash and a double quote are escaped with a backslash
 * (parentheses, spaces and semicolons need nothing there). A path with another control character is passed as a
 * `-D` parameter instead (`(param "…")`), because how SBPL reads such escapes was not verified.
 */
export function sbplString(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Whether `text` holds a control character (C0 or DEL). */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** Mach services a process commonly needs at start (user and system lookups, logging, the pasteboard excluded). */
const BASE_MACH_SERVICES = ["com.apple.system.opendirectoryd.libinfo", "com.apple.system.logger", "com.apple.logd", "com.apple.trustd.agent"];
/** And the ones name resolution and TLS need, only with the network on. */
const NETWORK_MACH_SERVICES = ["com.apple.SystemConfiguration.configd", "com.apple.dnssd.service", "com.apple.mDNSResponder", "com.apple.trustd"];

/** The profile text and the `-D` parameters it refers to (empty unless a path needed one). */
export function seatbeltProfile(policy: SeatbeltPolicy): { profile: string; params: string[] } {
  const params: string[] = [];
  const pathExpr = (path: string): string => {
    if (!hasControl(path)) return sbplString(path);
    const name = `WRITABLE_ROOT_${params.length}`;
    params.push(`-D${name}=${path}`);
    return `(param ${sbplString(name)})`;
  };
  const lines = [
    "(version 1)",
    "(deny default)",
    "; processes: run programs, fork, signal and inspect only this sandbox's own",
    "(allow process-exec)",
    "(allow process-fork)",
    "(allow signal (target same-sandbox))",
    "(allow process-info* (target same-sandbox))",
    "; reading is allowed everywhere, as under the Linux backends",
    "(allow file-read*)",
    "; the null and terminal devices stay writable (and a terminal's ioctls usable)",
    '(allow file-write-data (literal "/dev/null") (literal "/dev/zero") (literal "/dev/tty") (literal "/dev/dtracehelper"))',
    "(allow pseudo-tty)",
    '(allow file-read* file-write* file-ioctl (literal "/dev/ptmx") (literal "/dev/tty") (regex #"^/dev/ttys[0-9]+$"))',
    "; what a process asks the system for at start",
    "(allow sysctl-read)",
    "(allow user-preference-read)",
    "(allow ipc-posix-sem)",
    "(allow ipc-posix-shm-read* ipc-posix-shm-write-data)",
    `(allow mach-lookup ${BASE_MACH_SERVICES.map((s) => `(global-name ${sbplString(s)})`).join(" ")})`,
  ];
  if (policy.mode === "workspace-write" && policy.writableRoots.length > 0) {
    lines.push("; workspace-write: everything beneath the writable roots");
    lines.push(`(allow file-write* ${policy.writableRoots.map((root) => `(subpath ${pathExpr(root)})`).join(" ")})`);
  }
  if (policy.networkAllowed) {
    lines.push("; the network is allowed");
    lines.push("(allow network*)");
    lines.push("(allow system-socket)");
    lines.push(`(allow mach-lookup ${NETWORK_MACH_SERVICES.map((s) => `(global-name ${sbplString(s)})`).join(" ")})`);
  } else {
    lines.push("; no network: local (Unix domain) sockets only");
    lines.push("(allow network* (local unix-socket) (remote unix-socket))");
  }
  return { profile: `${lines.join("\n")}\n`, params };
}

/**
 * The command line of one attempt: `sandbox-exec -p <profile> [-D…] /usr/bin/env <markers> <argv…>`. `sandbox-exec`
 * cannot set variables itself, so `env(1)` (run inside the sandbox) adds `CODEX_ORCHESTRATOR_SANDBOX` and
 * `CODEX_SANDBOX_NETWORK_DISABLED` before it executes the command.
 */
export function seatbeltArgv(input: SeatbeltPolicy & { path?: string; argv: readonly string[] }): string[] {
  const { profile, params } = seatbeltProfile(input);
  const markers = [`CODEX_ORCHESTRATOR_SANDBOX=${input.mode}`, ...(input.networkAllowed ? [] : ["CODEX_SANDBOX_NETWORK_DISABLED=1"])];
  return [input.path ?? SANDBOX_EXEC_PATH, "-p", profile, ...params, "/usr/bin/env", ...markers, ...input.argv];
}
