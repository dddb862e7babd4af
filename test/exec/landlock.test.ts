// The Landlock ruleset and the seccomp filter the sandbox helper applies (issue 15), read as data: which rights each
// path gets per ABI, and what the BPF program answers for each call (run through a small interpreter of its own
// instructions). What the kernel then enforces is proved through the binary in test/e2e/sandbox-landlock.test.ts.
import { describe, expect, test } from "bun:test";
import { closeSync, readFileSync } from "node:fs";
import { FIXED_RULE_PATHS, FS, handledFsRights, landlockPlan, openRulePaths, probeLandlockAbi } from "../../src/exec/landlock.ts";
import { syscallTable } from "../../src/exec/libc.ts";
import { SECCOMP, runFilter, seccompProgram } from "../../src/exec/seccomp.ts";
import { decodeSandboxPolicy, encodeSandboxPolicy } from "../../src/core/sandbox-policy.ts";

describe("Landlock ruleset", () => {
  test("the handled rights grow with the ABI: refer (2), truncate (3), device ioctl (5)", () => {
    expect(handledFsRights(1)).toBe((1n << 13n) - 1n);
    expect(handledFsRights(2) & FS.REFER).toBe(FS.REFER);
    expect(handledFsRights(2) & FS.TRUNCATE).toBe(0n);
    expect(handledFsRights(3) & FS.TRUNCATE).toBe(FS.TRUNCATE);
    expect(handledFsRights(4) & FS.IOCTL_DEV).toBe(0n);
    expect(handledFsRights(7)).toBe((1n << 16n) - 1n);
  });

  test("read and execute everywhere; the terminal devices read-write with ioctl; the writable roots get everything", () => {
    const plan = landlockPlan({ abi: 7, writableRoots: ["/work"], networkAllowed: false });
    const rights = new Map(plan.rules.map((r) => [r.path, r.access]));
    expect(rights.get("/")).toBe(FS.EXECUTE | FS.READ_FILE | FS.READ_DIR);
    for (const device of ["/dev/null", "/dev/tty", "/dev/ptmx"]) {
      expect(rights.get(device)).toBe(FS.READ_FILE | FS.WRITE_FILE | FS.TRUNCATE | FS.IOCTL_DEV);
    }
    expect((rights.get("/dev/pts") ?? 0n) & FS.IOCTL_DEV).toBe(FS.IOCTL_DEV);
    expect(rights.get("/work")).toBe(handledFsRights(7));
    // No write right anywhere else: "/" has none to inherit.
    expect((rights.get("/") ?? 0n) & (FS.WRITE_FILE | FS.MAKE_REG | FS.REMOVE_FILE | FS.TRUNCATE)).toBe(0n);
  });

  test("without network: TCP bind and connect handled (ABI 4), abstract sockets and signals scoped (ABI 6)", () => {
    const off = landlockPlan({ abi: 7, writableRoots: [], networkAllowed: false });
    expect([off.handledNet, off.scoped]).toEqual([3n, 3n]);
    const on = landlockPlan({ abi: 7, writableRoots: [], networkAllowed: true });
    expect([on.handledNet, on.scoped]).toEqual([0n, 2n]);
    const abi3 = landlockPlan({ abi: 3, writableRoots: [], networkAllowed: false });
    expect([abi3.handledNet, abi3.scoped]).toEqual([0n, 0n]);
    // A right the ABI does not handle is never granted (the kernel would refuse the rule).
    for (const rule of abi3.rules) expect(rule.access & ~handledFsRights(3)).toBe(0n);
  });

  test("the paths opened before the policy is known are every plan's rules but its writable roots", () => {
    for (const networkAllowed of [true, false]) {
      const plan = landlockPlan({ abi: 7, writableRoots: ["/work", "/tmp"], networkAllowed });
      expect(plan.rules.map((r) => r.path).filter((p) => p !== "/work" && p !== "/tmp")).toEqual([...FIXED_RULE_PATHS]);
    }
  });

  test("opening rule paths ahead: a missing one is left out, directories are told from files, all close-on-exec", () => {
    const opened = openRulePaths(["/", "/dev/null", "/no/such/path"]);
    try {
      expect([...opened.keys()]).toEqual(["/", "/dev/null"]);
      expect(opened.get("/")?.isDir).toBe(true);
      expect(opened.get("/dev/null")?.isDir).toBe(false);
      for (const { fd } of opened.values()) {
        // O_PATH handles (no device was opened) that the command cannot inherit: O_CLOEXEC in the descriptor's flags.
        const flags = Number.parseInt(/^flags:\s+([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"))?.[1] ?? "0", 8);
        expect(flags & 0o2000000).toBe(0o2000000);
        expect(flags & 0o10000000).toBe(0o10000000);
      }
    } finally {
      for (const { fd } of opened.values()) closeSync(fd);
    }
  });

  test("the probe can be forced off for tests; on this kernel it answers a version", () => {
    expect(probeLandlockAbi({ CODEX_ORCHESTRATOR_TEST_NO_LANDLOCK: "1" })).toEqual({
      abi: 0,
      reason: "disabled by CODEX_ORCHESTRATOR_TEST_NO_LANDLOCK=1",
    });
    const real = probeLandlockAbi({});
    expect(real.abi > 0 || real.reason !== null).toBe(true);
  });

  test("the policy travels as versioned JSON; anything else is refused with a reason", () => {
    const policy = { mode: "workspace-write" as const, writableRoots: ["/w", "/tmp"], networkAllowed: false };
    expect(decodeSandboxPolicy(encodeSandboxPolicy(policy))).toEqual(policy);
    expect(decodeSandboxPolicy("{")).toBe("the sandbox policy is not JSON");
    expect(decodeSandboxPolicy('{"v":2}')).toBe("unknown sandbox policy version 2");
    expect(decodeSandboxPolicy('{"v":1,"mode":"read-only","write":["rel"],"net":false}')).toBe("the writable roots must be absolute paths");
  });
});

describe("seccomp filter", () => {
  for (const arch of ["x64", "arm64"] as const) {
    const table = syscallTable(arch);
    if (table === null) throw new Error(arch);
    const call = (prog: ReturnType<typeof seccompProgram>, nr: number, arg0 = 0, archValue = table.auditArch) =>
      runFilter(prog, { nr, arch: archValue, arg0 });

    test(`${arch}: without network, socket() only for AF_UNIX; io_uring and ptrace refused; the rest allowed`, () => {
      const prog = seccompProgram(table, false);
      expect(call(prog, table.socket, 1)).toBe(SECCOMP.RET_ALLOW);
      expect(call(prog, table.socket, 2)).toBe(SECCOMP.RET_ERRNO_EPERM); // AF_INET
      expect(call(prog, table.socket, 10)).toBe(SECCOMP.RET_ERRNO_EPERM); // AF_INET6
      expect(call(prog, table.socket, 16)).toBe(SECCOMP.RET_ERRNO_EPERM); // AF_NETLINK
      expect(call(prog, table.socketpair, 1)).toBe(SECCOMP.RET_ALLOW);
      for (const nr of [table.ioUringSetup, table.ioUringEnter, table.ioUringRegister, table.ptrace, table.processVmWritev]) {
        expect(call(prog, nr)).toBe(SECCOMP.RET_ERRNO_EPERM);
      }
      expect(call(prog, table.openat)).toBe(SECCOMP.RET_ALLOW);
      expect(call(prog, table.execve)).toBe(SECCOMP.RET_ALLOW);
    });

    test(`${arch}: with network every socket is allowed, io_uring and ptrace still refused; a foreign arch is killed`, () => {
      const prog = seccompProgram(table, true);
      expect(call(prog, table.socket, 2)).toBe(SECCOMP.RET_ALLOW);
      expect(call(prog, table.ioUringSetup)).toBe(SECCOMP.RET_ERRNO_EPERM);
      expect(call(prog, table.socket, 1, 0x40000003)).toBe(SECCOMP.RET_KILL_PROCESS); // i386 via int 0x80
      if (table.x32Bit !== null) expect(call(prog, table.x32Bit | table.socket, 2)).toBe(SECCOMP.RET_KILL_PROCESS);
    });
  }
});
