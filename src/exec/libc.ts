import { FFIType, dlopen, ptr, read } from "bun:ffi";

/**
 * The few libc entry points the sandbox needs (issue 15), through bun:ffi: raw `syscall` for Landlock (glibc has no
 * wrappers for it), `prctl` for no_new_privs and seccomp, `execve`, `errno`. Loaded on first use only: the CLI never
 * pays for it unless a sandbox is probed or applied.
 */

/** Syscall numbers of the two architectures the executable ships for (Landlock's are shared: 444–446). */
export type SyscallTable = {
  auditArch: number;
  socket: number;
  socketpair: number;
  ptrace: number;
  processVmReadv: number;
  processVmWritev: number;
  ioUringSetup: number;
  ioUringEnter: number;
  ioUringRegister: number;
  landlockCreateRuleset: number;
  landlockAddRule: number;
  landlockRestrictSelf: number;
  openat: number;
  close: number;
  pipe2: number;
  prctl: number;
  execve: number;
  rtSigaction: number;
  rtSigprocmask: number;
  /** x86_64 only: the x32 ABI's syscalls have this bit set; a filter must refuse them (they bypass the numbers). */
  x32Bit: number | null;
};

const X86_64: SyscallTable = {
  auditArch: 0xc000003e,
  socket: 41,
  socketpair: 53,
  ptrace: 101,
  processVmReadv: 310,
  processVmWritev: 311,
  ioUringSetup: 425,
  ioUringEnter: 426,
  ioUringRegister: 427,
  landlockCreateRuleset: 444,
  landlockAddRule: 445,
  landlockRestrictSelf: 446,
  openat: 257,
  close: 3,
  pipe2: 293,
  prctl: 157,
  execve: 59,
  rtSigaction: 13,
  rtSigprocmask: 14,
  x32Bit: 0x40000000,
};

const AARCH64: SyscallTable = {
  auditArch: 0xc00000b7,
  socket: 198,
  socketpair: 199,
  ptrace: 117,
  processVmReadv: 270,
  processVmWritev: 271,
  ioUringSetup: 425,
  ioUringEnter: 426,
  ioUringRegister: 427,
  landlockCreateRuleset: 444,
  landlockAddRule: 445,
  landlockRestrictSelf: 446,
  openat: 56,
  close: 57,
  pipe2: 59,
  prctl: 167,
  execve: 221,
  rtSigaction: 134,
  rtSigprocmask: 135,
  x32Bit: null,
};

/** The table of this machine, or null on an architecture the sandbox does not know (it then refuses to run). */
export function syscallTable(arch: string = process.arch): SyscallTable | null {
  if (arch === "x64") return X86_64;
  if (arch === "arm64") return AARCH64;
  return null;
}

/**
 * Two symbols only: every call goes through `syscall` with the kernel's own structures (each bound symbol costs a
 * TinyCC compilation at load, and the helper is on every sandboxed command's path).
 */
const SYMBOLS = {
  syscall: { args: [FFIType.i64, FFIType.i64, FFIType.i64, FFIType.i64, FFIType.i64, FFIType.i64], returns: FFIType.i64_fast },
  __errno_location: { args: [], returns: FFIType.ptr },
} as const;

type Libc = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];

let libc: Libc | null = null;

/** glibc first (what the executable is linked against), then musl's names. */
const LIBC_NAMES = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"];

/** libc's symbols; throws with the names tried when none loads. */
export function loadLibc(): Libc {
  if (libc !== null) return libc;
  const errors: string[] = [];
  for (const name of LIBC_NAMES) {
    try {
      libc = dlopen(name, SYMBOLS).symbols;
      return libc;
    } catch (error) {
      errors.push(`${name}: ${(error as Error).message}`);
    }
  }
  throw new Error(`cannot load libc (${errors.join("; ")})`);
}

/**
 * `syscall(nr, …)` with up to five arguments (pointers as numbers; unused ones are 0, which calls such as prctl check);
 * the raw return value (-1 and errno on failure).
 */
export function sys(nr: number, a = 0, b = 0, c = 0, d = 0, e = 0): number {
  return Number(loadLibc().syscall(nr, a, b, c, d, e));
}

/**
 * `openat(AT_FDCWD, path, O_PATH | O_CLOEXEC)`: a handle on a file or directory (a device is not opened), with whether
 * it is a directory (asked with O_DIRECTORY first: one call for the common case, no `fstat`), or -errno.
 */
export function openPath(table: SyscallTable, path: string): { fd: number; isDir: boolean } | number {
  const AT_FDCWD = -100;
  const O_PATH = 0o10000000;
  const O_CLOEXEC = 0o2000000;
  const O_DIRECTORY = 0o200000;
  const ENOTDIR = 20;
  const bytes = Buffer.from(`${path}\0`, "utf8");
  const dir = sys(table.openat, AT_FDCWD, ptr(bytes), O_PATH | O_CLOEXEC | O_DIRECTORY);
  if (dir >= 0) return { fd: dir, isDir: true };
  if (lastErrno() !== ENOTDIR) return -lastErrno();
  const fd = sys(table.openat, AT_FDCWD, ptr(bytes), O_PATH | O_CLOEXEC);
  return fd >= 0 ? { fd, isDir: false } : -lastErrno();
}

/** close(2), errors ignored (the descriptor is gone either way, EINTR included on Linux). */
export function closeFd(table: SyscallTable, fd: number): void {
  sys(table.close, fd);
}

/** errno after the last failed call on this thread. */
export function lastErrno(): number {
  const at = loadLibc().__errno_location();
  return at === null ? 0 : read.i32(at, 0);
}

/** Names of the errno values the sandbox can meet, for messages (the number is kept for the rest). */
const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  7: "E2BIG",
  8: "ENOEXEC",
  9: "EBADF",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  20: "ENOTDIR",
  22: "EINVAL",
  38: "ENOSYS",
  40: "ELOOP",
  95: "EOPNOTSUPP",
};

export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}
