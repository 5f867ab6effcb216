import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { invalidArgument } from "../shared/errors.js";
import { formatListenAddress, parseListenAddress } from "./listen-address.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import type { Readiness } from "./readiness.js";

export interface ObservabilityServerOptions {
  /** `host:port` or `[ipv6]:port`; port 0 picks an ephemeral port. */
  address: string;
  metrics: Metrics;
  readiness: Readiness;
  logger: Logger;
}

export interface ObservabilityServer {
  /** `http://host:port` actually bound (the real port when 0 was asked). */
  url: string;
  close(): Promise<void>;
}

const ALLOWED_METHODS = "GET, HEAD";

function send(response: ServerResponse, statusCode: number, contentType: string, body: string): void {
  response.writeHead(statusCode, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  response.end(response.req.method === "HEAD" ? undefined : body);
}

const sendText = (response: ServerResponse, statusCode: number, body: string) =>
  send(response, statusCode, "text/plain; charset=utf-8", `${body}\n`);

async function route(
  request: IncomingMessage,
  response: ServerResponse,
  options: ObservabilityServerOptions,
) {
  const path = new URL(request.url ?? "/", "http://localhost").pathname;
  const known = path === "/metrics" || path === "/healthz" || path === "/readyz";
  if (!known) return sendText(response, 404, `not found: ${path}`);
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.setHeader("allow", ALLOWED_METHODS);
    return sendText(response, 405, `method ${request.method} not allowed on ${path}; use GET or HEAD`);
  }
  if (path === "/healthz") return sendText(response, 200, "ok");
  if (path === "/metrics") {
    const { registry } = options.metrics;
    return send(response, 200, registry.contentType, await registry.metrics());
  }
  let report: Awaited<ReturnType<Readiness>>;
  try {
    report = await options.readiness();
  } catch (error) {
    report = { ready: false, checks: { readiness: error instanceof Error ? error.message : String(error) } };
  }
  if (!report.ready) options.logger.warn({ checks: report.checks }, "not ready");
  return send(response, report.ready ? 200 : 503, "application/json", `${JSON.stringify(report)}\n`);
}

function listen(server: Server, host: string, port: number, shown: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const why =
        error.code === "EADDRINUSE"
          ? "the port is already in use: stop the process holding it or choose another port (0 picks a free one)"
          : error.code === "EADDRNOTAVAIL"
            ? "the address is not on this machine"
            : error.code === "EACCES"
              ? "permission denied (ports below 1024 need privileges)"
              : error.code === "ENOTFOUND" || error.code === "EAI_AGAIN"
                ? "the host name does not resolve"
                : error.message;
      reject(invalidArgument(`metrics address ${shown}: cannot listen: ${why} (${error.code ?? "error"})`));
    };
    server.once("error", onError);
    server.listen({ host, port }, () => {
      server.off("error", onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * Starts the process's one observability listener: `/metrics` (the registry in Prometheus text
 * format), `/healthz` (200 while the process runs), `/readyz` (200 or 503 with the checks as
 * JSON). Only GET and HEAD; any other path is 404. A bad or unusable address rejects with
 * InvalidArgument naming the address.
 */
export async function startObservabilityServer(
  options: ObservabilityServerOptions,
): Promise<ObservabilityServer> {
  const { host, port } = parseListenAddress(options.address);
  const server = createServer((request, response) => {
    route(request, response, options).catch((error: unknown) => {
      options.logger.error({ err: error, path: request.url }, "observability endpoint failed");
      if (!response.headersSent) sendText(response, 500, "internal error");
      else response.destroy();
    });
  });
  const bound = await listen(server, host, port, options.address);
  const url = `http://${formatListenAddress({ host: bound.address, port: bound.port })}`;
  options.logger.info({ url }, "observability server listening");
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
