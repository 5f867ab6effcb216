import pRetry from "p-retry";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { BallastError, unavailable } from "../shared/errors.js";
import { type BackoffPolicy, fullJitterDelayMs } from "./backoff.js";
import {
  CloudApiError,
  CloudTransportError,
  decodeProblem,
  type TransportFailureReason,
} from "./cloud-api-error.js";
import { type Deadline, deadlineExceeded, deadlineSignal, remainingMs, sleep } from "./deadline.js";
import { toBallastError } from "./error-mapping.js";
import type { RequestRateLimiter } from "./rate-limiter.js";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** What a call is, for the retry decision and for labels. */
export interface CallDescription {
  /** The contract's operationId (metrics label, log field). */
  operation: string;
  method: HttpMethod;
  /** Set when the request carries an Idempotency-Key. */
  idempotencyKey?: string;
}

/** Per-call options every client method takes. */
export interface CallOptions {
  /** Absolute epoch ms; nothing (waiting, retrying, the request itself) goes past it. */
  deadline: Deadline;
  /** Cancels the call early (e.g. the gRPC call was cancelled). */
  signal?: AbortSignal;
}

/** What one HTTP attempt produced, in openapi-fetch's shape. */
export interface AttemptResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

export interface CallResult<T> {
  data: T;
  response: Response;
}

export interface RetryPolicy extends BackoffPolicy {
  /** Retries after the first attempt (so maxRetries + 1 attempts at most). */
  maxRetries: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 6,
  initialDelayMs: 200,
  maxDelayMs: 10_000,
  multiplier: 2,
};

export interface CallRunnerDependencies {
  limiter: RequestRateLimiter;
  retry: RetryPolicy;
  metrics?: Metrics;
  logger?: Logger;
  now?: () => number;
  random?: () => number;
}

/**
 * Runs one API call: rate limiting, one AbortSignal bounded by the deadline, metrics and a debug
 * log line per attempt, and retries (p-retry) of what is safe to repeat — reads, deletes, and
 * writes that carry an Idempotency-Key — on network failures, 5xx and 429. Backoff is full
 * jitter, never shorter than the server's Retry-After, and never sleeps past the deadline.
 * Errors leave as BallastError: the mapped kind, Unavailable when retries ran out on a transient
 * failure, DeadlineExceeded when the deadline came first.
 */
export class CallRunner {
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly deps: CallRunnerDependencies) {
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
  }

  async run<T>(
    call: CallDescription,
    options: CallOptions,
    attempt: (signal: AbortSignal) => Promise<AttemptResult<T>>,
  ): Promise<CallResult<T>> {
    const retrySafe = isRetrySafe(call);
    const { operation } = call;
    return pRetry(
      async (attemptNumber) => {
        if (remainingMs(options.deadline, this.now()) <= 0) throw deadlineExceeded(`cloud ${operation}`);
        await this.deps.limiter.acquire(options.deadline, options.signal);
        return this.attemptOnce(call, options, attemptNumber, attempt);
      },
      {
        retries: this.deps.retry.maxRetries,
        // The delay is ours (full jitter, Retry-After, deadline), slept in onFailedAttempt.
        minTimeout: 0,
        maxTimeout: 0,
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          if (error instanceof BallastError) throw error;
          if (options.signal?.aborted)
            throw unavailable(`cloud ${operation}: cancelled`, options.signal.reason);
          if (error instanceof CloudApiError && !isRetriableStatus(error.status)) throw toBallastError(error);
          if (!(error instanceof CloudApiError || error instanceof CloudTransportError)) {
            throw new BallastError("Internal", `cloud ${operation}: ${error.message}`, { cause: error });
          }
          if (error instanceof CloudTransportError && error.reason === "tls") {
            // A certificate that does not verify will not verify on the next attempt either.
            throw unavailable(error.message, error);
          }
          if (!retrySafe) {
            throw unavailable(
              `${error.message} (not retried: ${call.method} without an Idempotency-Key may have taken effect)`,
              error,
            );
          }
          if (retriesLeft <= 0) {
            const attempts = attemptNumber === 1 ? "1 attempt" : `${attemptNumber} attempts`;
            throw unavailable(`${error.message} (gave up after ${attempts})`, error);
          }
          const jitter = fullJitterDelayMs(this.deps.retry, attemptNumber, this.random);
          const hint = error instanceof CloudApiError ? error.retryAfterMs : undefined;
          const delay = Math.max(jitter, hint ?? 0);
          const left = remainingMs(options.deadline, this.now());
          if (delay >= left) {
            throw deadlineExceeded(
              `cloud ${operation}`,
              `${error.message} (next attempt in ${delay} ms, ${Math.max(0, left)} ms left)`,
              error,
            );
          }
          this.deps.metrics?.cloudRetries.inc({ operation, reason: retryReason(error) });
          await sleep(delay, options.signal).catch((reason: unknown) => {
            throw unavailable(`cloud ${operation}: cancelled`, reason);
          });
        },
      },
    );
  }

  private async attemptOnce<T>(
    call: CallDescription,
    options: CallOptions,
    attemptNumber: number,
    attempt: (signal: AbortSignal) => Promise<AttemptResult<T>>,
  ): Promise<CallResult<T>> {
    const { operation } = call;
    const { metrics, logger } = this.deps;
    const signal = deadlineSignal(options.deadline, this.now(), options.signal);
    const started = performance.now();
    let status = "error";
    metrics?.cloudInFlight.inc({ operation });
    try {
      let result: AttemptResult<T>;
      try {
        result = await attempt(signal);
      } catch (error) {
        if (error instanceof BallastError) throw error;
        if (signal.aborted && !options.signal?.aborted) {
          throw deadlineExceeded(`cloud ${operation}`, "request still in flight at the deadline", error);
        }
        throw transportError(operation, error);
      }
      status = String(result.response.status);
      if (result.response.ok) return { data: result.data as T, response: result.response };
      if (result.response.status === 429) metrics?.cloudThrottles.inc({ operation });
      throw decodeProblem(
        operation,
        result.response.status,
        result.response.headers,
        result.error,
        this.now(),
      );
    } finally {
      const seconds = (performance.now() - started) / 1000;
      metrics?.cloudInFlight.dec({ operation });
      metrics?.cloudRequests.inc({ operation, status });
      metrics?.cloudRequestDuration.observe({ operation }, seconds);
      logger?.debug(
        {
          operation,
          method: call.method,
          status,
          attempt: attemptNumber,
          durationMs: Math.round(seconds * 1000),
        },
        "cloud request",
      );
    }
  }
}

/** Reads and deletes are safe to repeat; writes only when the server can deduplicate them. */
export function isRetrySafe(call: CallDescription): boolean {
  return call.method === "GET" || call.method === "DELETE" || call.idempotencyKey !== undefined;
}

/** 429 and every 5xx are transient by contract; other 4xx will fail the same way again. */
export function isRetriableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

function retryReason(error: CloudApiError | CloudTransportError): string {
  return error instanceof CloudApiError ? String(error.status) : error.reason;
}

const REASON_OF_CODE: Record<string, TransportFailureReason> = {
  ECONNREFUSED: "connection_refused",
  ECONNRESET: "connection_reset",
  EPIPE: "connection_reset",
  UND_ERR_SOCKET: "connection_reset",
  UND_ERR_CLOSED: "connection_reset",
  UND_ERR_CONNECT_TIMEOUT: "connect_timeout",
  ETIMEDOUT: "connect_timeout",
  UND_ERR_HEADERS_TIMEOUT: "headers_timeout",
  UND_ERR_BODY_TIMEOUT: "body_timeout",
};

const TLS_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * undici reports failures as `TypeError("fetch failed" | "terminated")` with the real error as
 * cause; the reason and the message come from the innermost error, which says what happened.
 */
function transportError(operation: string, error: unknown): CloudTransportError {
  let reason: TransportFailureReason | undefined;
  let innermost: unknown = error;
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth += 1) {
    innermost = current;
    const code = (current as NodeJS.ErrnoException).code;
    if (code !== undefined && reason === undefined) {
      reason = TLS_CODES.has(code) ? "tls" : REASON_OF_CODE[code];
    }
    current = current.cause;
  }
  const message = innermost instanceof Error ? innermost.message : String(innermost);
  return new CloudTransportError(operation, reason ?? "network", message, { cause: error });
}
