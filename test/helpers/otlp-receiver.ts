import { type IncomingHttpHeaders, type ServerResponse, createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { gunzipSync } from "node:zlib";
import { type OtlpSpan, decodeExportTraceServiceRequest, spansOf } from "./protobuf.ts";

/** How the receiver answers: 200 (a working collector), a fixed status, or never (a hanging collector). */
export type ReceiverMode =
  | { kind: "ok" }
  | { kind: "status"; status: number; retryAfter?: string }
  | { kind: "hang" };

export type ReceivedRequest = {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The request body, gunzipped when the exporter compressed it. */
  body: Uint8Array;
  /** ms since the receiver started, when the request headers arrived. */
  at: number;
};

export type OtlpReceiver = {
  /** Base URL, e.g. `http://127.0.0.1:43123` (the exporter appends `/v1/traces` to a base). */
  base: string;
  /** Full traces URL. */
  tracesUrl: string;
  /** Every request seen so far, including ones never answered. */
  requests: ReceivedRequest[];
  /** Number of requests whose headers arrived (counted even when the body never finished, e.g. `hang`). */
  hits(): number;
  /** Decoded spans of every received body, in arrival order. */
  spans(): (OtlpSpan & { resource: Record<string, unknown> })[];
  setMode(mode: ReceiverMode): void;
  close(): Promise<void>;
};

/** A real OTLP/HTTP receiver on 127.0.0.1 (node:http), recording and decoding what it is sent. */
export async function startOtlpReceiver(mode: ReceiverMode = { kind: "ok" }): Promise<OtlpReceiver> {
  const started = Date.now();
  const requests: ReceivedRequest[] = [];
  let headersSeen = 0;
  let current = mode;
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    headersSeen += 1;
    const at = Date.now() - started;
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let body: Uint8Array = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
      requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body, at });
      if (current.kind === "hang") {
        hanging.add(res);
        return;
      }
      const status = current.kind === "ok" ? 200 : current.status;
      const headers: Record<string, string> = { "content-type": "application/x-protobuf" };
      if (current.kind === "status" && current.retryAfter !== undefined) headers["retry-after"] = current.retryAfter;
      res.writeHead(status, headers);
      res.end();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  return {
    base,
    tracesUrl: `${base}/v1/traces`,
    requests,
    hits: () => headersSeen,
    spans: () => requests.flatMap((r) => spansOf(decodeExportTraceServiceRequest(r.body))),
    setMode: (next) => {
      current = next;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      hanging.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A URL on 127.0.0.1 where nothing listens (connection refused): a port that was just bound and released. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
