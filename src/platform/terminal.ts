/**
 * Whether a file descriptor is a terminal (isatty(3)). `node:tty`'s `isatty` does the same check, but loading
 * `node:tty` brings in `node:net` and Node's stream machinery: 8–9 ms of every `exec` start-up (issue 21,
 * docs/benchmarks.md). The runtime's own binding answers without loading any of it; `node:tty` stays the fallback
 * for a runtime without that binding.
 */
type TtyBinding = { isTTY?: (fd: number) => boolean };

let check: ((fd: number) => boolean) | null = null;

export function isTerminal(fd: number): boolean {
  check ??= ttyCheck();
  return check(fd);
}

function ttyCheck(): (fd: number) => boolean {
  try {
    const binding = (process as unknown as { binding(name: string): TtyBinding }).binding("tty_wrap");
    const isTTY = binding.isTTY;
    if (typeof isTTY === "function") return (fd) => isTTY.call(binding, fd) === true;
  } catch {
    // No such binding: fall back to node:tty below.
  }
  const tty = require("node:tty") as typeof import("node:tty");
  return (fd) => tty.isatty(fd);
}
