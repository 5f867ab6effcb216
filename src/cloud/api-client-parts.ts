import createClient, { type Client } from "openapi-fetch";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { CallRunner, DEFAULT_RETRY_POLICY, RequestNotSentError, type RetryPolicy } from "./call-runner.js";
import { validBaseUrl } from "./client-options.js";
import { RequestRateLimiter } from "./rate-limiter.js";
import { type TokenSource, tokenSourceFrom } from "./token-source.js";
import type { HttpTransport } from "./transport.js";

export interface ApiClientPartsOptions {
  baseUrl: string;
  /** Exactly one of token, tokenFile and tokenSource. */
  token?: string;
  tokenFile?: string;
  tokenSource?: TokenSource;
  qps: number;
  burst: number;
  retry?: Partial<RetryPolicy>;
  metrics?: Metrics;
  logger?: Logger;
  userAgent?: string;
  now?: () => number;
}

export interface ApiClientParts<Paths extends {}> {
  /** The typed client of the API's description, sending the bearer token and user agent. */
  http: Client<Paths>;
  /** One rate limiter per client, retries, deadlines and metrics around every call. */
  runner: CallRunner;
  now: () => number;
}

/**
 * The machinery every provider's typed client shares, so a provider's client holds only what is
 * its own (paths, error body, which writes repeat, how operations are polled): the generated
 * openapi-fetch client with the token re-read from its source on every request, one rate limiter
 * and the call runner.
 */
export function apiClientParts<Paths extends {}>(
  transport: Pick<HttpTransport, "fetch" | "Request">,
  options: ApiClientPartsOptions,
): ApiClientParts<Paths> {
  const now = options.now ?? Date.now;
  const tokens = tokenSourceFrom(options);
  const http = createClient<Paths>({
    baseUrl: validBaseUrl(options.baseUrl),
    fetch: transport.fetch,
    Request: transport.Request,
  });
  const userAgent = options.userAgent;
  http.use({
    async onRequest({ request }) {
      let token: string;
      try {
        token = await tokens.token();
      } catch (error) {
        // Nothing went out: the token source's own error (a missing file, named) is the answer,
        // not a network failure to retry and count.
        throw new RequestNotSentError(error);
      }
      request.headers.set("authorization", `Bearer ${token}`);
      if (userAgent !== undefined) request.headers.set("user-agent", userAgent);
      return request;
    },
  });
  const limiter = new RequestRateLimiter({
    qps: options.qps,
    burst: options.burst,
    metrics: options.metrics,
    now,
  });
  const runner = new CallRunner({
    limiter,
    retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
    metrics: options.metrics,
    logger: options.logger,
    now,
  });
  return { http, runner, now };
}
