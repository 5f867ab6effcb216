import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { BallastError } from "../shared/errors.js";
import type { RequestOptions, RetryPolicy } from "./call-runner.js";
import type { Operation } from "./cloud-types.js";
import type { OperationSnapshot, PollPolicy } from "./operation-waiter.js";
import type { TokenSource } from "./token-source.js";
import type { TransportOptions } from "./transport.js";

/** Options of a write: the request options plus the key that makes it safe to retry. */
export interface IdempotentRequestOptions extends RequestOptions {
  /**
   * Sent as `Idempotency-Key`. With it a POST is retried on transient failures (the server
   * answers a replay with the first answer); without it a POST is sent once. Derive it from the
   * CO's name so a retried RPC or a restarted controller sends the same key.
   */
  idempotencyKey?: string;
}

/** A mutation the server accepted (202), with its hint of when to poll. */
export type PendingOperation = OperationSnapshot<Operation>;

export interface BlockStorageClientOptions {
  /** e.g. `http://127.0.0.1:8787` (the `/v1` paths are appended). */
  baseUrl: string;
  /** Exactly one of token, tokenFile and tokenSource. */
  token?: string;
  /** Re-read whenever the file changes, so rotated Secrets work without a restart. */
  tokenFile?: string;
  tokenSource?: TokenSource;
  /** PEM CA bundle trusted in addition to the system roots. */
  caFile?: string;
  /** Client-side rate limit shared by all calls: sustained requests per second (default 10). */
  qps?: number;
  /** Requests allowed at once after a quiet spell (default 20). */
  burst?: number;
  timeouts?: Omit<TransportOptions, "caFile">;
  retry?: Partial<RetryPolicy>;
  /** Backoff of operation polling when the server gives no hint. */
  poll?: Partial<PollPolicy>;
  metrics?: Metrics;
  logger?: Logger;
  userAgent?: string;
  now?: () => number;
  /** The random source of the poll delay's jitter. */
  random?: () => number;
}

export const DEFAULT_QPS = 10;
export const DEFAULT_BURST = 20;

export function idempotencyHeader(options: IdempotentRequestOptions): {
  header?: { "Idempotency-Key": string };
} {
  return options.idempotencyKey === undefined
    ? {}
    : { header: { "Idempotency-Key": options.idempotencyKey } };
}

export function validBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new BallastError("InvalidArgument", `baseUrl: ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new BallastError("InvalidArgument", `baseUrl: ${JSON.stringify(value)} is not an http(s) URL`);
  }
  return value;
}
