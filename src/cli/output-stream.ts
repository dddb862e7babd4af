/**
 * A writer over stdout/stderr that applies back-pressure (awaits `drain`) and survives a reader that went away
 * (`| head -1`): after EPIPE every write is dropped silently, and the run is still recorded.
 */
export class OutputStream {
  private closed = false;
  private opened: NodeJS.WriteStream | null = null;

  /** `open` is called on first use: building process.stderr or process.stdout costs start-up time (a Node stream). */
  constructor(private readonly open: () => NodeJS.WriteStream) {}

  private get stream(): NodeJS.WriteStream {
    if (this.opened === null) {
      const stream = this.open();
      stream.on("error", () => {
        this.closed = true;
      });
      this.opened = stream;
    }
    return this.opened;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get isTTY(): boolean {
    return this.stream.isTTY === true;
  }

  write(data: string | Uint8Array): Promise<void> | undefined {
    if (this.closed || data.length === 0) return undefined;
    let ok: boolean;
    try {
      ok = this.stream.write(data);
    } catch {
      this.closed = true;
      return undefined;
    }
    if (ok) return undefined;
    return new Promise((resolve) => {
      const done = () => {
        this.stream.off("drain", done);
        this.stream.off("error", done);
        this.stream.off("close", done);
        resolve();
      };
      this.stream.once("drain", done);
      this.stream.once("error", done);
      this.stream.once("close", done);
    });
  }

  /** Resolves when everything written so far has been handed to the OS. */
  flush(): Promise<void> {
    if (this.closed || this.opened === null || this.stream.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      try {
        this.stream.write("", () => resolve());
      } catch {
        resolve();
      }
    });
  }
}

export const stdoutStream = new OutputStream(() => process.stdout);
export const stderrStream = new OutputStream(() => process.stderr);
