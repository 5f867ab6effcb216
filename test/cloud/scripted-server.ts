import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Metrics } from "../../src/observability/metrics.js";

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
  at: number;
  /** True when the client went away before the answer was complete. */
  abandoned: boolean;
}

export type Handler = (request: RecordedRequest, response: ServerResponse) => void;

/**
 * A real HTTP server on 127.0.0.1:0 that answers each request with the next scripted handler
 * (the last one repeats), so tests can stage exact fault sequences: a 503 then a 200, a dropped
 * connection, an answer that never comes.
 */
export class ScriptedServer {
  readonly requests: RecordedRequest[] = [];
  private handlers: Handler[] = [];
  private readonly server = createServer((req, res) => this.handle(req, res));

  static async start(): Promise<ScriptedServer> {
    const scripted = new ScriptedServer();
    await new Promise<void>((resolve) => scripted.server.listen(0, "127.0.0.1", resolve));
    return scripted;
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  script(...handlers: Handler[]): void {
    this.handlers = handlers;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
        abandoned: false,
      };
      this.requests.push(recorded);
      res.on("close", () => {
        if (!res.writableFinished) recorded.abandoned = true;
      });
      const handler = this.handlers.length > 1 ? this.handlers.shift() : this.handlers[0];
      if (handler === undefined) throw new Error(`no handler scripted for ${req.method} ${req.url}`);
      handler(recorded, res);
    });
  }
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Handler {
  return (_request, response) => {
    response.writeHead(status, { "content-type": "application/json", ...headers });
    response.end(JSON.stringify(body));
  };
}

export function problem(
  status: number,
  code: string,
  detail: string,
  headers: Record<string, string> = {},
): Handler {
  return (_request, response) => {
    response.writeHead(status, { "content-type": "application/problem+json", ...headers });
    response.end(
      JSON.stringify({ type: `https://ballast.dev/problems/${code}`, title: code, status, code, detail }),
    );
  };
}

/** Destroys the socket without answering, as a crashed or overloaded server does. */
export const dropConnection: Handler = (_request, response) => {
  response.socket?.destroy();
};

/** Never answers; the client has to give up on its own. */
export const neverAnswer: Handler = () => {};

/** Sum of a metric's samples whose labels include `labels` (for a histogram: its `_count`). */
export async function metricValue(
  metrics: Metrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const data = await metric.get();
  const wanted = String(data.type) === "histogram" ? `${name}_count` : undefined;
  let total = 0;
  for (const sample of data.values as Array<{ labels: object; value: number; metricName?: string }>) {
    if (wanted !== undefined && sample.metricName !== wanted) continue;
    const sampleLabels = sample.labels as Record<string, string | number | undefined>;
    if (Object.entries(labels).every(([key, value]) => String(sampleLabels[key]) === value))
      total += sample.value;
  }
  return total;
}

export const VOLUME = {
  id: "vol-0123456789abcdef",
  name: "pvc-1",
  sizeBytes: 1073741824,
  zone: "ref-1a",
  type: "standard",
  encrypted: false,
  tags: {},
  status: "available",
  attachments: [],
  createdAt: "2026-01-01T00:00:00Z",
};

export function operation(status: "running" | "succeeded" | "failed", extra: Record<string, unknown> = {}) {
  return {
    id: "op-00000000000000a1",
    kind: "createVolume",
    status,
    resourceId: VOLUME.id,
    createdAt: "2026-01-01T00:00:00Z",
    updatedAt: "2026-01-01T00:00:00Z",
    ...extra,
  };
}
