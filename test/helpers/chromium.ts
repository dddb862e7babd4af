/**
 * A real headless Chromium driven over the DevTools protocol (CDP) on a WebSocket — no browser library: the browser
 * is started with `--remote-debugging-port=0`, its `DevTools listening on ws://…` line names the endpoint, and each
 * page is a flat session (`Target.attachToTarget {flatten: true}`). Used by the report tests and bench/report.ts.
 *
 *   const browser = await launchChromium(path);
 *   const page = await browser.newPage({ width: 1280, height: 900 });
 *   await page.navigate(pathToFileURL(file).href);
 *   const title = await page.evaluate<string>("document.title");
 *   await browser.close();
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

type Json = Record<string, unknown>;
type Pending = { resolve: (value: Json) => void; reject: (error: Error) => void; method: string };
type Listener = (params: Json, sessionId: string | undefined) => void;

export type Page = {
  sessionId: string;
  /** Sends a CDP command to this page. */
  send(method: string, params?: Json): Promise<Json>;
  /** Navigates and resolves on the page's `load` event. */
  navigate(url: string): Promise<void>;
  /** Evaluates an expression in the page (promises awaited); its value, or throws with the page's exception text. */
  evaluate<T>(expression: string): Promise<T>;
  /** A PNG of the page (the whole document when `fullPage`). */
  screenshot(options?: { fullPage?: boolean }): Promise<Buffer>;
  /** Exceptions thrown and console messages of the page so far. */
  readonly errors: string[];
  readonly console: string[];
};

export type Browser = {
  version: string;
  newPage(viewport?: { width: number; height: number; javaScript?: boolean }): Promise<Page>;
  close(): Promise<void>;
};

/** Starts Chromium headless and connects to it; rejects with its stderr if it does not come up within 30 s. */
export async function launchChromium(executable: string): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "co-chromium-"));
  const args = [
    "--headless",
    // The page is our own local file; the browser's sandbox needs privileges CI containers (and root) lack.
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--hide-scrollbars",
    "--force-color-profile=srgb",
    "--remote-debugging-port=0",
    `--user-data-dir=${profile}`,
    "about:blank",
  ];
  const child = spawn(executable, args, { stdio: ["ignore", "ignore", "pipe"] });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let stderr = "";
    const timer = setTimeout(() => reject(new Error(`chromium did not start within 30 s:\n${stderr}`)), 30_000);
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (text: string) => {
      stderr += text;
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`chromium exited (${code}) before listening:\n${stderr}`));
    });
  });
  child.stderr?.resume();
  const connection = await connect(endpoint);
  const version = String((await connection.send("Browser.getVersion")).product ?? "");
  return {
    version,
    async newPage(viewport = { width: 1280, height: 900 }) {
      const { targetId } = await connection.send("Target.createTarget", { url: "about:blank" });
      const { sessionId } = (await connection.send("Target.attachToTarget", { targetId, flatten: true })) as { sessionId: string };
      const send = (method: string, params: Json = {}) => connection.send(method, params, sessionId);
      const errors: string[] = [];
      const consoleLines: string[] = [];
      connection.on("Runtime.exceptionThrown", (params, sid) => {
        if (sid === sessionId) errors.push(JSON.stringify((params.exceptionDetails as Json | undefined) ?? params));
      });
      connection.on("Runtime.consoleAPICalled", (params, sid) => {
        if (sid === sessionId) consoleLines.push(JSON.stringify(params.args));
      });
      connection.on("Log.entryAdded", (params, sid) => {
        if (sid === sessionId) consoleLines.push(String((params.entry as Json | undefined)?.text ?? ""));
      });
      await send("Page.enable");
      await send("Runtime.enable");
      await send("Log.enable");
      await send("Emulation.setDeviceMetricsOverride", { width: viewport.width, height: viewport.height, deviceScaleFactor: 1, mobile: false });
      if (viewport.javaScript === false) await send("Emulation.setScriptExecutionDisabled", { value: true });
      const page: Page = {
        sessionId,
        send,
        errors,
        console: consoleLines,
        async navigate(url) {
          const loaded = connection.once("Page.loadEventFired", sessionId);
          const result = await send("Page.navigate", { url });
          if (typeof result.errorText === "string" && result.errorText !== "") throw new Error(`navigation to ${url} failed: ${result.errorText}`);
          await loaded;
        },
        async evaluate<T>(expression: string) {
          const result = await send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true });
          if (result.exceptionDetails !== undefined) throw new Error(`page exception: ${JSON.stringify(result.exceptionDetails)}`);
          return (result.result as { value: T }).value;
        },
        async screenshot(options = {}) {
          const { data } = (await send("Page.captureScreenshot", { format: "png", captureBeyondViewport: options.fullPage === true })) as { data: string };
          return Buffer.from(data, "base64");
        },
      };
      return page;
    },
    async close() {
      await connection.send("Browser.close").catch(() => ({}));
      connection.close();
      await waitExit(child);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

type Connection = {
  send(method: string, params?: Json, sessionId?: string): Promise<Json>;
  on(method: string, listener: Listener): void;
  once(method: string, sessionId: string): Promise<Json>;
  close(): void;
};

async function connect(url: string): Promise<Connection> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new Error(`cannot connect to ${url}`)), { once: true });
  });
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Listener[]>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as Json & { id?: number; method?: string; params?: Json; sessionId?: string; error?: Json; result?: Json };
    if (typeof message.id === "number") {
      const waiter = pending.get(message.id);
      if (waiter === undefined) return;
      pending.delete(message.id);
      if (message.error !== undefined) waiter.reject(new Error(`${waiter.method}: ${JSON.stringify(message.error)}`));
      else waiter.resolve(message.result ?? {});
      return;
    }
    if (typeof message.method === "string") for (const listener of listeners.get(message.method) ?? []) listener(message.params ?? {}, message.sessionId);
  });
  socket.addEventListener("close", () => {
    for (const waiter of pending.values()) waiter.reject(new Error(`connection closed during ${waiter.method}`));
    pending.clear();
  });
  const on = (method: string, listener: Listener) => {
    const list = listeners.get(method) ?? [];
    list.push(listener);
    listeners.set(method, list);
  };
  return {
    send(method, params = {}, sessionId) {
      const id = nextId++;
      socket.send(JSON.stringify(sessionId === undefined ? { id, method, params } : { id, method, params, sessionId }));
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject, method }));
    },
    on,
    once(method, sessionId) {
      return new Promise((resolve) => {
        let done = false;
        on(method, (params, sid) => {
          if (done || sid !== sessionId) return;
          done = true;
          resolve(params);
        });
      });
    },
    close() {
      socket.close();
    },
  };
}

/** Width, height and RGBA pixels of an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium's screenshots are). */
export async function decodePng(png: Buffer): Promise<{ width: number; height: number; rgba: Uint8Array }> {
  const { inflateSync } = await import("node:zlib");
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error("not a PNG");
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      const color = data[9];
      if (depth !== 8 || (color !== 2 && color !== 6) || data[12] !== 0) throw new Error(`unsupported PNG (depth ${depth}, color ${color})`);
      channels = color === 6 ? 4 : 3;
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] as number;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? (pixels[y * stride + x - channels] as number) : 0;
      const b = y > 0 ? (pixels[(y - 1) * stride + x] as number) : 0;
      const c = x >= channels && y > 0 ? (pixels[(y - 1) * stride + x - channels] as number) : 0;
      let value = line[x] as number;
      if (filter === 1) value += a;
      else if (filter === 2) value += b;
      else if (filter === 3) value += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        value += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[y * stride + x] = value & 0xff;
    }
  }
  if (channels === 4) return { width, height, rgba: pixels };
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[i * 4] = pixels[i * 3] as number;
    rgba[i * 4 + 1] = pixels[i * 3 + 1] as number;
    rgba[i * 4 + 2] = pixels[i * 3 + 2] as number;
    rgba[i * 4 + 3] = 255;
  }
  return { width, height, rgba };
}
