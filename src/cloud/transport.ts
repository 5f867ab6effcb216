import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { Agent } from "undici";
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
 * The HTTP edge of the client: the `fetch` and `Request` openapi-fetch is given, over one undici
 * Agent (keep-alive pool). The types are the web ones because openapi-fetch declares them so; what
 * travels is a `CloudRequest` and a `CloudResponse`.
 */
export interface HttpTransport {
  readonly fetch: (input: Request) => Promise<Response>;
  readonly Request: typeof globalThis.Request;
  close(): Promise<void>;
}

/**
 * A request as openapi-fetch builds it: URL, method, headers, a JSON text body and the call's
 * signal. A WHATWG Request would wrap the body in a stream and the signal in a follower signal,
 * most of the CPU a cloud call costs the driver; nothing here reads more than these five fields.
 */
export class CloudRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string | undefined;
  readonly signal: AbortSignal | undefined;

  constructor(input: string | URL, init: RequestInit = {}) {
    if (init.body !== undefined && init.body !== null && typeof init.body !== "string") {
      throw new TypeError(
        `cloud request ${String(input)}: only text bodies are sent, not ${typeof init.body}`,
      );
    }
    this.url = String(input);
    this.method = init.method ?? "GET";
    // openapi-fetch builds a fresh Headers for every request: taken as it is, not copied again.
    this.headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
    this.body = init.body ?? undefined;
    this.signal = init.signal ?? undefined;
  }
}

/**
 * An answer read to its end: the API's bodies are small JSON, and reading them whole hands the
 * socket back to the pool even when nobody asks for the body (a 204, an error without one).
 */
export class CloudResponse {
  readonly ok: boolean;

  constructor(
    readonly status: number,
    readonly headers: Headers,
    private readonly bodyText: string,
  ) {
    this.ok = status >= 200 && status <= 299;
  }

  text(): Promise<string> {
    return Promise.resolve(this.bodyText);
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.bodyText);
  }
}

/**
 * Sends one request through the pool. Redirects are answered, not followed: a block-storage API
 * that redirects a write is not one the client knows how to talk to.
 */
export async function send(agent: Agent, request: CloudRequest): Promise<CloudResponse> {
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const answer = await agent.request({
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    method: request.method as "GET",
    headers,
    body: request.body ?? null,
    signal: request.signal ?? null,
  });
  const bodyText = await answer.body.text();
  const responseHeaders = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    if (Array.isArray(value)) for (const each of value) responseHeaders.append(name, each);
    else if (value !== undefined) responseHeaders.append(name, value);
  }
  return new CloudResponse(answer.statusCode, responseHeaders, bodyText);
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
    // The casts bridge openapi-fetch's declared web types to the two classes above, which carry
    // every field openapi-fetch and the clients read.
    fetch: (input) => send(agent, input as unknown as CloudRequest) as unknown as Promise<Response>,
    Request: CloudRequest as unknown as typeof globalThis.Request,
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
