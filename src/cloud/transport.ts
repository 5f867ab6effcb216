import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { Agent, Request as UndiciRequest, fetch as undiciFetch } from "undici";
import { BallastError } from "../shared/errors.js";

export interface TransportOptions {
  /** PEM bundle trusted in addition to the system roots (a private cloud's CA). */
  caFile?: string;
  /** Time to establish TCP + TLS, in ms. */
  connectTimeoutMs?: number;
  /** Time from request sent to response headers, in ms. */
  headersTimeoutMs?: number;
  /** Longest silence while the response body streams, in ms. */
  bodyTimeoutMs?: number;
  /** How long an idle keep-alive socket stays in the pool, in ms. */
  keepAliveTimeoutMs?: number;
  /** Sockets per origin. */
  connections?: number;
}

export const DEFAULT_TRANSPORT: Required<Omit<TransportOptions, "caFile">> = {
  connectTimeoutMs: 5_000,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  keepAliveTimeoutMs: 30_000,
  connections: 16,
};

/**
 * The HTTP edge of the client: one undici Agent (keep-alive pool) for every request, used through
 * undici's own fetch and Request. Node's global fetch bundles a different undici whose Request
 * the npm fetch rejects, so the pair must come from the same package.
 */
export interface HttpTransport {
  readonly fetch: (input: Request) => Promise<Response>;
  readonly Request: typeof globalThis.Request;
  close(): Promise<void>;
}

export function createHttpTransport(options: TransportOptions = {}): HttpTransport {
  const settings = { ...DEFAULT_TRANSPORT, ...options };
  const agent = new Agent({
    connections: settings.connections,
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    headersTimeout: settings.headersTimeoutMs,
    bodyTimeout: settings.bodyTimeoutMs,
    connect: {
      timeout: settings.connectTimeoutMs,
      ...(options.caFile === undefined ? {} : { ca: [...rootCertificates, readCaFile(options.caFile)] }),
    },
  });
  return {
    // undici's Request/Response are structurally the web ones; the casts only bridge the two
    // declarations of the same standard types (undici-types vs lib.dom).
    fetch: (input) =>
      undiciFetch(input as unknown as UndiciRequest, { dispatcher: agent }) as unknown as Promise<Response>,
    Request: UndiciRequest as unknown as typeof globalThis.Request,
    close: () => agent.close(),
  };
}

function readCaFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unknown error";
    throw new BallastError("InvalidArgument", `caFile: ${JSON.stringify(path)} cannot be read: ${code}`);
  }
}
