import pRetry, { AbortError } from "p-retry";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import {
  CloudCancelledError,
  CloudDeadlineError,
  CloudError,
  CloudGaveUpError,
  CloudTransportError,
  type TransportFailureReason,
  withoutOperation,
} from "./call-errors.js";
import { CloudApiError, decodeProblem } from "./cloud-api-error.js";
import { type Deadline, deadlineSignal, remainingMs, sleep } from "./deadline.js";
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

/** Per-request options every client method takes. */
export interface RequestOptions {
  /** Absolute epoch ms; nothing (waiting, retrying, the request itself) goes past it. */
  deadline: Deadline;
  /** Cancels the call early (e.g. the gRPC call was cancelled): no further request is sent. */
  signal?: AbortSignal | undefined;
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

/** Exponential backoff, randomized (each delay × a random factor in [1, 2)), as p-retry's. */
export interface RetryPolicy {
  /** Retries after the first attempt (so maxRetries + 1 attempts at most). */
  maxRetries: number;
  /** The first retry's base delay, in ms. */
  initialDelayMs: number;
  /** No delay is ever longer than this, in ms. */
  maxDelayMs: number;
  /** Growth of the base delay per retry. */
  multiplier: number;
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
  metrics?: Metrics | undefined;
  logger?: Logger | undefined;
  now?: (() => number) | undefined;
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
}

/**
 * What an attempt throws when it failed before its request went out (no token could be read):
 * the runner throws `cause` on as it is, without a retry and without counting a request, since
 * nothing reached the server and the next attempt would fail the same way.
 */
export class RequestNotSentError extends Error {
  override readonly name = "RequestNotSentError";

  constructor(override readonly cause: unknown) {
    super("request not sent");
  }
}

/**
 * Runs one API call: rate limiting, one AbortSignal bounded by the deadline, metrics and a debug
 * log line per attempt. p-retry runs the retry loop — what is safe to repeat (reads, deletes,
 * writes that carry an Idempotency-Key) on network failures, 5xx and 429, with randomized
 * exponential backoff, cut off by the deadline and the caller's signal. What p-retry cannot do is
 * here: waiting the larger of the backoff and a server's `Retry-After` (or failing at once when
 * that wait reaches past the deadline), and saying why the call ended. Errors leave as CloudErrors:
 * the API's answer, CloudGaveUpError after the last transient failure, CloudDeadlineError,
 * CloudCancelledError; what failed before a request went out leaves as it was thrown.
 */
export class CallRunner {
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(private readonly deps: CallRunnerDependencies) {
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? sleep;
  }

  async run<T>(
    call: CallDescription,
    options: RequestOptions,
    attempt: (signal: AbortSignal) => Promise<AttemptResult<T>>,
  ): Promise<CallResult<T>> {
    const { operation } = call;
    const retrySafe = isRetrySafe(call);
    const policy = this.deps.retry;
    let attempts = 0;
    let lastFailure: CloudError | undefined;
    try {
      return await pRetry(
        async (attemptNumber) => {
          attempts = attemptNumber;
          if (remainingMs(options.deadline, this.now()) <= 0) {
            const detail = lastFailure && withoutOperation(lastFailure);
            throw new AbortError(new CloudDeadlineError(operation, `cloud ${operation}`, detail));
          }
          await this.deps.limiter
            .acquire(operation, options.deadline, options.signal)
            .catch((error: unknown) => {
              throw withPreviousFailure(error, lastFailure);
            });
          return this.attemptOnce(call, options, attemptNumber, attempt, lastFailure);
        },
        {
          retries: policy.maxRetries,
          // p-retry 7 has no hook for its delay and would sleep its backoff after any wait of
          // ours, so it sleeps none: the one wait is taken below, once the deadline allows it.
          minTimeout: 0,
          maxRetryTime: Math.max(0, remainingMs(options.deadline, this.now())),
          signal: options.signal,
          shouldRetry: ({ error }) => retrySafe && isTransient(error),
          onFailedAttempt: async ({ error, retriesLeft, retriesConsumed }) => {
            if (!(retrySafe && isTransient(error)) || retriesLeft <= 0) return;
            lastFailure = error;
            const hint = error instanceof CloudApiError ? error.retryAfterMs : undefined;
            const wait = Math.max(hint ?? 0, backoffMs(policy, retriesConsumed));
            const left = remainingMs(options.deadline, this.now());
            if (wait >= left) {
              const why = left > 0 ? ` (next attempt in ${wait} ms, ${left} ms left)` : "";
              throw new CloudDeadlineError(
                operation,
                `cloud ${operation}`,
                `${withoutOperation(error)}${why}`,
              );
            }
            this.deps.metrics?.cloudRetries.inc({ operation, reason: retryReason(error) });
            if (wait > 0) await this.sleep(wait, options.signal);
          },
        },
      );
    } catch (error) {
      throw this.endOfCall(call, options, attempts, error);
    }
  }

  /** The error a finished call leaves with: what the last attempt got, and why it was the last. */
  private endOfCall(
    call: CallDescription,
    options: RequestOptions,
    attempts: number,
    error: unknown,
  ): unknown {
    const { operation } = call;
    if (options.signal?.aborted) return new CloudCancelledError(operation);
    if (!(error instanceof CloudApiError || error instanceof CloudTransportError)) return error;
    if (!isTransient(error)) return error;
    if (!isRetrySafe(call)) return new CloudGaveUpError("not_retry_safe", attempts, error, call.method);
    if (remainingMs(options.deadline, this.now()) <= 0) {
      return new CloudDeadlineError(operation, `cloud ${operation}`, withoutOperation(error));
    }
    return new CloudGaveUpError("retries_exhausted", attempts, error, call.method);
  }

  private async attemptOnce<T>(
    call: CallDescription,
    options: RequestOptions,
    attemptNumber: number,
    attempt: (signal: AbortSignal) => Promise<AttemptResult<T>>,
    previousFailure: CloudError | undefined,
  ): Promise<CallResult<T>> {
    const { operation } = call;
    const { metrics } = this.deps;
    const signal = deadlineSignal(options.deadline, this.now(), options.signal);
    const started = performance.now();
    let status = "error";
    let sent = true;
    metrics?.cloudInFlight.inc({ operation });
    try {
      let result: AttemptResult<T>;
      try {
        result = await attempt(signal);
      } catch (error) {
        if (error instanceof RequestNotSentError) {
          sent = false;
          throw error.cause;
        }
        // A provider's client decodes its cloud's error bodies (and counts its throttles) inside the
        // attempt: the answer's status still labels the request, as for an answer decoded below.
        if (error instanceof CloudApiError) status = String(error.status);
        if (error instanceof CloudError) throw error;
        if (options.signal?.aborted) throw new CloudCancelledError(operation);
        // The deadline may fire just as a request fails on its own (a refused connection): only the
        // abort itself means the request was still in flight, anything else is the real cause.
        if (signal.aborted && isAbortOf(signal, error)) {
          throw new CloudDeadlineError(
            operation,
            `cloud ${operation}`,
            afterFailure("request still in flight at the deadline", previousFailure),
          );
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
      metrics?.cloudInFlight.dec({ operation });
      if (sent) this.recordRequest(call, attemptNumber, status, started);
    }
  }

  private recordRequest(call: CallDescription, attemptNumber: number, status: string, started: number): void {
    const { operation } = call;
    const { metrics, logger } = this.deps;
    const seconds = (performance.now() - started) / 1000;
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

/**
 * Whether `error` is the abort of `signal` rather than a failure of its own: its reason, or an
 * AbortError/TimeoutError, possibly wrapped by the HTTP library.
 */
function isAbortOf(signal: AbortSignal, error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth += 1) {
    if (current === signal.reason || current.name === "AbortError" || current.name === "TimeoutError") {
      return true;
    }
    current = current.cause;
  }
  return error === signal.reason;
}

/** A rate limiter's deadline error with the failure of the attempt before added; others as they are. */
function withPreviousFailure(error: unknown, previousFailure: CloudError | undefined): unknown {
  if (!(error instanceof CloudDeadlineError) || error.detail === undefined || previousFailure === undefined) {
    return error;
  }
  const { operation } = error;
  return new CloudDeadlineError(operation, `cloud ${operation}`, afterFailure(error.detail, previousFailure));
}

/** A deadline's detail followed by the failure of the attempt before, often why time ran out. */
function afterFailure(detail: string, previousFailure: CloudError | undefined): string {
  return previousFailure === undefined
    ? detail
    : `${detail} (previous attempt: ${withoutOperation(previousFailure)})`;
}

/** The backoff before retry `retry + 1` (`retry` from 0): p-retry's formula with `randomize`. */
export function backoffMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const base = policy.initialDelayMs * policy.multiplier ** retry;
  return Math.min(policy.maxDelayMs, Math.round(base * (1 + random())));
}

/** Reads and deletes are safe to repeat; writes only when the server can deduplicate them. */
export function isRetrySafe(call: CallDescription): boolean {
  return call.method === "GET" || call.method === "DELETE" || call.idempotencyKey !== undefined;
}

/** 429 and every 5xx are transient by contract; other 4xx will fail the same way again. */
export function isRetriableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * A failure the next attempt may not repeat. A certificate that does not verify will not verify on
 * the next attempt either.
 */
function isTransient(error: unknown): error is CloudApiError | CloudTransportError {
  if (error instanceof CloudApiError) return isRetriableStatus(error.status);
  return error instanceof CloudTransportError && error.reason !== "tls";
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
 * The reason and the message come from the innermost error, which says what happened: undici
 * rejects with its own errors (`UND_ERR_*`) or the socket's (`ECONNREFUSED`), and a wrapper that
 * keeps the real error as `cause` names only itself.
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
  return new CloudTransportError(operation, reason ?? "network", message);
}
