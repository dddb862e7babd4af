/**
 * Commands run in process groups of their own (so cancellation reaches every descendant), which also means they
 * would outlive an orchestrator killed with `kill -9`, and a later `resume` would run a stage twice. The guard is one
 * small watchdog shell per CLI process, in a session of its own, that learns each running command's process group
 * over a pipe. The pipe's write end lives only in this process: when this process dies, however it dies, the
 * watchdog reads end-of-file and terminates the groups still registered (SIGTERM, then SIGKILL after 2 s).
 */
const WATCHDOG = [
  "trap '' INT TERM HUP",
  'g=""',
  "while IFS= read -r l; do",
  '  case $l in',
  '    +*) g="$g ${l#+}";;',
  '    -*) n=""; for p in $g; do [ "$p" = "${l#-}" ] || n="$n $p"; done; g=$n;;',
  "  esac",
  "done",
  '[ -n "$g" ] || exit 0',
  'for p in $g; do kill -TERM "-$p" 2>/dev/null; done',
  "sleep 2",
  'for p in $g; do kill -KILL "-$p" 2>/dev/null; done',
].join("\n");

type Watchdog = { write(line: string): void };

class OrphanGuard {
  private watchdog: Watchdog | null = null;
  private disabled = false;

  /**
   * Starts the watchdog if it is not running yet. Called before a command is spawned: started lazily at the first
   * registration, the watchdog's own spawn (1–2 ms) left the first command unguarded meanwhile, and a kill -9 in that
   * window orphaned it (seen in the kill -9 torture test). Registration itself is one synchronous pipe write.
   */
  ready(): void {
    if (this.disabled || this.watchdog !== null) return;
    try {
      this.watchdog = startWatchdog();
    } catch {
      this.disabled = true;
    }
  }

  /** A command's process group is running (its leader's pid). */
  register(pgid: number): void {
    this.send(`+${pgid}\n`);
  }

  /** The command's process group is gone (or no longer ours to clean up). */
  unregister(pgid: number): void {
    if (this.watchdog !== null) this.send(`-${pgid}\n`);
  }

  private send(line: string): void {
    this.ready();
    if (this.disabled || this.watchdog === null) return;
    try {
      this.watchdog.write(line);
    } catch {
      // Without a watchdog the commands still run; only the kill -9 clean-up is lost.
      this.disabled = true;
    }
  }
}

function startWatchdog(): Watchdog {
  const proc = Bun.spawn(["/bin/sh", "-c", WATCHDOG], {
    stdin: "pipe",
    stdout: "ignore",
    stderr: "ignore",
    detached: true,
  });
  proc.unref();
  const sink = proc.stdin;
  (sink as { unref?: () => void }).unref?.();
  return {
    write(line) {
      sink.write(line);
      sink.flush();
    },
  };
}

export const orphanGuard = new OrphanGuard();
