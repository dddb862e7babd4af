import { ptr } from "bun:ffi";
import { errnoName, lastErrno, type SyscallTable, sys } from "./libc.ts";
import { SandboxSetupError } from "./landlock.ts";

/**
 * The sandbox's seccomp filter (issue 15), a classic BPF program over `struct seccomp_data` (seccomp(2)). Landlock
 * governs files and TCP; this covers what it cannot: without network, `socket`/`socketpair` only for AF_UNIX (UDP,
 * raw and netlink sockets included in the refusal); always, no `io_uring` (its operations would not pass through
 * this filter) and no `ptrace`/`process_vm_*`. A refused call fails with EPERM; a syscall of another architecture
 * (32-bit `int 0x80`, x32) kills the process, because its numbers mean other calls.
 */

// BPF opcodes (linux/filter.h, linux/bpf_common.h).
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const RET_K = 0x06;

const RET_ALLOW = 0x7fff0000;
const RET_KILL_PROCESS = 0x80000000;
const RET_ERRNO = 0x00050000;
const EPERM = 1;
const AF_UNIX = 1;

// struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }: little-endian on both arches,
// so an argument's low 32 bits are at 16 + 8·i.
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
const OFFSET_ARG0_LOW = 16;

const PR_SET_SECCOMP = 22;
const SECCOMP_MODE_FILTER = 2;

type Instruction = { code: number; jt: number; jf: number; k: number };

const stmt = (code: number, k: number): Instruction => ({ code, jt: 0, jf: 0, k });
const jump = (code: number, k: number, jt: number, jf: number): Instruction => ({ code, jt, jf, k });

/** The filter as instructions (pure, so tests can check what it refuses by running it: `runFilter`). */
export function seccompProgram(table: SyscallTable, networkAllowed: boolean): Instruction[] {
  const denied = [
    table.ptrace,
    table.processVmReadv,
    table.processVmWritev,
    table.ioUringSetup,
    table.ioUringEnter,
    table.ioUringRegister,
  ];
  const sockets = networkAllowed ? [] : [table.socket, table.socketpair];
  const prog: Instruction[] = [
    stmt(LD_W_ABS, OFFSET_ARCH),
    jump(JEQ_K, table.auditArch, 1, 0),
    stmt(RET_K, RET_KILL_PROCESS),
    stmt(LD_W_ABS, OFFSET_NR),
  ];
  if (table.x32Bit !== null) {
    prog.push(jump(JGE_K, table.x32Bit, 0, 1), stmt(RET_K, RET_KILL_PROCESS));
  }
  // Each check jumps to the deny (or socket) block at the end; the blocks' positions are known once all are listed.
  const checks = [...denied.map((nr) => ({ nr, to: "deny" as const })), ...sockets.map((nr) => ({ nr, to: "socket" as const }))];
  const first = prog.length;
  const allowAt = first + checks.length;
  const denyAt = allowAt + 1;
  const socketAt = denyAt + 1;
  checks.forEach((check, i) => {
    const at = first + i;
    const target = check.to === "deny" ? denyAt : socketAt;
    prog.push(jump(JEQ_K, check.nr, target - at - 1, 0));
  });
  prog.push(stmt(RET_K, RET_ALLOW));
  prog.push(stmt(RET_K, RET_ERRNO | EPERM));
  if (sockets.length > 0) {
    prog.push(stmt(LD_W_ABS, OFFSET_ARG0_LOW), jump(JEQ_K, AF_UNIX, 0, 1), stmt(RET_K, RET_ALLOW), stmt(RET_K, RET_ERRNO | EPERM));
  }
  return prog;
}

/** What the filter answers for one call (a tiny interpreter of the instructions above, for tests). */
export function runFilter(prog: readonly Instruction[], data: { nr: number; arch: number; arg0?: number }): number {
  let acc = 0;
  let pc = 0;
  while (pc < prog.length) {
    const ins = prog[pc] as Instruction;
    if (ins.code === LD_W_ABS) {
      acc = ins.k === OFFSET_NR ? data.nr : ins.k === OFFSET_ARCH ? data.arch : ins.k === OFFSET_ARG0_LOW ? (data.arg0 ?? 0) : 0;
      pc++;
    } else if (ins.code === JEQ_K) {
      pc += 1 + (acc >>> 0 === ins.k >>> 0 ? ins.jt : ins.jf);
    } else if (ins.code === JGE_K) {
      pc += 1 + (acc >>> 0 >= ins.k >>> 0 ? ins.jt : ins.jf);
    } else if (ins.code === RET_K) {
      return ins.k >>> 0;
    } else {
      throw new Error(`unknown BPF opcode ${ins.code}`);
    }
  }
  throw new Error("BPF program fell off its end");
}

export const SECCOMP = { RET_ALLOW, RET_KILL_PROCESS, RET_ERRNO_EPERM: RET_ERRNO | EPERM };

/** A filter laid out as the kernel reads it (`struct sock_fprog` and its instructions), ready for `installSeccomp`. */
export type SeccompFilter = { fprog: DataView; instructions: DataView };

/** Lays the filter out in memory (the helper does it before it waits for its command; installing is one call). */
export function buildSeccompFilter(table: SyscallTable, networkAllowed: boolean): SeccompFilter {
  const prog = seccompProgram(table, networkAllowed);
  // struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; } × n
  const instructions = new DataView(new ArrayBuffer(prog.length * 8));
  prog.forEach((ins, i) => {
    instructions.setUint16(i * 8, ins.code, true);
    instructions.setUint8(i * 8 + 2, ins.jt);
    instructions.setUint8(i * 8 + 3, ins.jf);
    instructions.setUint32(i * 8 + 4, ins.k >>> 0, true);
  });
  // struct sock_fprog { unsigned short len; struct sock_filter *filter; }: the pointer is 8-aligned on 64-bit.
  const fprog = new DataView(new ArrayBuffer(16));
  fprog.setUint16(0, prog.length, true);
  fprog.setBigUint64(8, BigInt(ptr(instructions)), true);
  return { fprog, instructions };
}

/** Installs a filter on the calling thread (no_new_privs must be set). Throws SandboxSetupError. */
export function installSeccomp(table: SyscallTable, filter: SeccompFilter): void {
  if (sys(table.prctl, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ptr(filter.fprog)) !== 0) {
    throw new SandboxSetupError(`seccomp filter refused (${errnoName(lastErrno())})`);
  }
}

/** Builds and installs the filter on the calling thread (no_new_privs must be set). Throws SandboxSetupError. */
export function applySeccomp(table: SyscallTable, networkAllowed: boolean): void {
  installSeccomp(table, buildSeccompFilter(table, networkAllowed));
}
