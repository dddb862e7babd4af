// The macOS Seatbelt backend (issue 15): the generated profile as text against golden files, the escaping of paths,
// the writable roots and the network switch, the command line, and how the backend is chosen. Enforcement itself
// needs a real Mac and is NOT tested here (docs/guides/approvals-and-sandbox.md says so).
import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chooseSandboxBackend, planSandbox, probeSeatbelt } from "../../src/autonomy/sandbox.ts";
import { SANDBOX_EXEC_PATH, sbplString, seatbeltArgv, seatbeltProfile } from "../../src/autonomy/seatbelt-profile.ts";
import { scratchDir } from "../helpers/cli.ts";

const GOLDEN = join(import.meta.dir, "fixtures", "seatbelt");

/** The golden file's text; `UPDATE_GOLDEN=1` rewrites it from the generator (then review the diff). */
function golden(name: string, actual: string): string {
  const path = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(path, actual);
  return readFileSync(path, "utf8");
}

describe("Seatbelt profile", () => {
  test("read-only without network: the golden profile", () => {
    const { profile, params } = seatbeltProfile({ mode: "read-only", writableRoots: ["/ignored"], networkAllowed: false });
    expect(profile).toBe(golden("read-only.sb", profile));
    expect(params).toEqual([]);
    expect(profile).not.toContain("/ignored");
    expect(profile).not.toContain("(allow network*)\n");
    expect(profile.startsWith("(version 1)\n(deny default)\n")).toBe(true);
  });

  test("workspace-write without network: every root writable beneath it; still no network", () => {
    const { profile } = seatbeltProfile({ mode: "workspace-write", writableRoots: ["/Users/me/repo", "/private/tmp"], networkAllowed: false });
    expect(profile).toBe(golden("workspace-write.sb", profile));
    expect(profile).toContain('(allow file-write* (subpath "/Users/me/repo") (subpath "/private/tmp"))');
    expect(profile).toContain("(allow network* (local unix-socket) (remote unix-socket))");
  });

  test("workspace-write with network: the network rules replace the Unix-only one", () => {
    const { profile } = seatbeltProfile({ mode: "workspace-write", writableRoots: ["/w"], networkAllowed: true });
    expect(profile).toBe(golden("workspace-write-network.sb", profile));
    expect(profile).toContain("(allow network*)\n(allow system-socket)\n");
    expect(profile).not.toContain("(remote unix-socket)");
    expect(profile).toContain('(global-name "com.apple.mDNSResponder")');
  });

  test("workspace-write with no root left (all resolved away): no write rule at all", () => {
    const { profile } = seatbeltProfile({ mode: "workspace-write", writableRoots: [], networkAllowed: false });
    expect(profile).not.toContain("file-write* (subpath");
  });

  test("paths with quotes, backslashes, parentheses and semicolons stay one string literal", () => {
    expect(sbplString('/a "b"/c')).toBe('"/a \\"b\\"/c"');
    expect(sbplString("/a\\b")).toBe('"/a\\\\b"');
    expect(sbplString("/x (copy); y")).toBe('"/x (copy); y"');
    const root = '/Users/me/my "odd" (repo); \\ dir';
    const { profile, params } = seatbeltProfile({ mode: "workspace-write", writableRoots: [root], networkAllowed: false });
    expect(params).toEqual([]);
    expect(profile).toContain('(allow file-write* (subpath "/Users/me/my \\"odd\\" (repo); \\\\ dir"))');
    // The literal ends where it should: unescaping it gives the path back, and the parentheses outside it balance.
    const literal = /\(subpath ("(?:[^"\\]|\\.)*")\)/.exec(profile)?.[1] as string;
    expect(literal.slice(1, -1).replace(/\\(.)/g, "$1")).toBe(root);
    expect(balanced(profile)).toBe(true);
  });

  test("a path with a control character travels as a -D parameter, never inside the profile", () => {
    const root = "/tmp/new\nline";
    const { profile, params } = seatbeltProfile({ mode: "workspace-write", writableRoots: ["/ok", root], networkAllowed: false });
    expect(params).toEqual([`-DWRITABLE_ROOT_0=${root}`]);
    expect(profile).toContain('(allow file-write* (subpath "/ok") (subpath (param "WRITABLE_ROOT_0")))');
    expect(profile).not.toContain("new\nline");
  });

  test("the command line: sandbox-exec -p <profile> [-D…], then env(1) adds the markers and runs the argv", () => {
    const argv = seatbeltArgv({ mode: "read-only", writableRoots: [], networkAllowed: false, argv: ["sh", "-c", "echo hi"] });
    expect(argv[0]).toBe(SANDBOX_EXEC_PATH);
    expect(argv[1]).toBe("-p");
    expect(argv[2]).toBe(seatbeltProfile({ mode: "read-only", writableRoots: [], networkAllowed: false }).profile);
    expect(argv.slice(3)).toEqual(["/usr/bin/env", "CODEX_ORCHESTRATOR_SANDBOX=read-only", "CODEX_SANDBOX_NETWORK_DISABLED=1", "sh", "-c", "echo hi"]);
    const net = seatbeltArgv({ mode: "workspace-write", writableRoots: ["/tmp/new\nline"], networkAllowed: true, argv: ["true"] });
    expect(net.slice(3)).toEqual(["-DWRITABLE_ROOT_0=/tmp/new\nline", "/usr/bin/env", "CODEX_ORCHESTRATOR_SANDBOX=workspace-write", "true"]);
  });
});

/** Whether the parentheses outside string literals balance (a broken escape would unbalance them). */
function balanced(profile: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < profile.length; i++) {
    const c = profile[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === ";") i = profile.indexOf("\n", i);
    else if (c === "(") depth++;
    else if (c === ")" && --depth < 0) return false;
    if (i === -1) break;
  }
  return depth === 0 && !inString;
}

describe("the Seatbelt backend in a plan", () => {
  test("a workspace-write plan wraps the argv; the roots are the resolved cwd, /tmp and $TMPDIR", () => {
    const dir = scratchDir("co-seatbelt-");
    const real = join(dir, "real");
    mkdirSync(real);
    symlinkSync(real, join(dir, "link"));
    const plan = planSandbox({ mode: "workspace-write", backend: { name: "seatbelt", path: "/usr/bin/sandbox-exec" } });
    expect(plan).toMatchObject({ state: "sandboxed", backend: "seatbelt", landlockAbi: null, networkBlocked: true });
    const argv = plan.wrapArgv(["sh", "-c", "true"], join(dir, "link"), { TMPDIR: "/tmp", PATH: "/usr/bin:/bin" });
    expect(argv[0]).toBe("/usr/bin/sandbox-exec");
    expect(argv[2]).toContain(`(allow file-write* (subpath "${realpathSync(real)}") (subpath "${realpathSync("/tmp")}"))`);
    expect(argv.slice(3)).toEqual(["/usr/bin/env", "CODEX_ORCHESTRATOR_SANDBOX=workspace-write", "CODEX_SANDBOX_NETWORK_DISABLED=1", "sh", "-c", "true"]);
  });

  test("a program that cannot be found is not wrapped (the runner's own spawn error, nothing run)", () => {
    const plan = planSandbox({ mode: "read-only", backend: { name: "seatbelt", path: "/usr/bin/sandbox-exec" }, networkAllowed: true });
    expect(plan.wrapArgv(["no-such-program-xyz"], "/", { PATH: "/usr/bin:/bin" })).toEqual(["no-such-program-xyz"]);
  });
});

describe("choosing Seatbelt", () => {
  const landlock7 = () => ({ abi: 7, reason: null });
  const bwrapMissing = async () => ({ path: null, reason: "bubblewrap (bwrap) not found on PATH" });
  const mac = () => ({ path: "/usr/bin/sandbox-exec", reason: null });

  test("on Linux, --sandbox-backend seatbelt is none with one clear reason; auto never picks it", async () => {
    const none = await chooseSandboxBackend({ choice: "seatbelt", landlock: landlock7, bubblewrap: bwrapMissing, helper: [], platform: "linux" });
    expect(none).toEqual({
      name: "none",
      reason: "Seatbelt (/usr/bin/sandbox-exec) is macOS only (this is linux); use --sandbox-backend landlock or bwrap",
    });
    const auto = await chooseSandboxBackend({ choice: "auto", landlock: landlock7, bubblewrap: bwrapMissing, helper: ["/self"], platform: "linux", seatbelt: mac });
    expect(auto.name).toBe("landlock");
    expect(probeSeatbelt("linux")).toEqual({ path: null, reason: "Seatbelt (/usr/bin/sandbox-exec) is macOS only (this is linux)" });
  });

  test("on macOS, auto and seatbelt pick it; without sandbox-exec auto says why nothing can", async () => {
    const noLandlock = () => ({ abi: 0, reason: "Landlock is Linux only (this is darwin)" });
    const noBwrap = async () => ({ path: null, reason: "bubblewrap is Linux only (this is darwin)" });
    for (const choice of ["auto", "seatbelt"] as const) {
      expect(await chooseSandboxBackend({ choice, landlock: noLandlock, bubblewrap: noBwrap, helper: [], platform: "darwin", seatbelt: mac })).toEqual({
        name: "seatbelt",
        path: "/usr/bin/sandbox-exec",
      });
    }
    const missing = () => ({ path: null, reason: "/usr/bin/sandbox-exec not found" });
    const auto = await chooseSandboxBackend({ choice: "auto", landlock: noLandlock, bubblewrap: noBwrap, helper: [], platform: "darwin", seatbelt: missing });
    expect(auto).toEqual({
      name: "none",
      reason:
        "no sandbox backend: /usr/bin/sandbox-exec not found; Landlock is not available (Landlock is Linux only (this is darwin)); bubblewrap is Linux only (this is darwin)",
    });
  });
});
