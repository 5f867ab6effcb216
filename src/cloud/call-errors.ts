/**
 * How a call to a block-storage API can fail, in the API's terms: an answer it gave, no answer, a
 * client that stopped trying, a deadline, a cancellation. What each means to the caller (a CSI
 * code, a retry) is decided by the provider's adapter, not here.
 */
export abstract class CloudError extends Error {
  constructor(
    /** The API operation (operationId) the call was for. */
    readonly operation: string,
    message: string,
  ) {
    super(message);
  }
}

/** Why no response arrived, as a bounded label value for metrics and logs. */
export type TransportFailureReason =
  | "connection_refused"
  | "connection_reset"
  | "connect_timeout"
  | "headers_timeout"
  | "body_timeout"
  | "tls"
  | "network";

/**
 * A request that got no (complete) HTTP response. The message carries the innermost error's
 * text, which says what happened; wrappers around it are left out
 * rather than kept as `cause`, so a logged error names the failure once.
 */
export class CloudTransportError extends CloudError {
  override readonly name = "CloudTransportError";

  constructor(
    operation: string,
    readonly reason: TransportFailureReason,
    readonly detail: string,
  ) {
    super(operation, `cloud ${operation}: ${reason}: ${detail}`);
  }
}

/** Why the client stopped trying after a transient failure. */
export type GiveUpReason = "retries_exhausted" | "not_retry_safe";

/**
 * A call whose last attempt failed transiently (429, 5xx, no response) and that the client will not
 * try again. The last failure is `lastError`, not `cause`: this message already says it, and a
 * logger that appends causes would say it twice.
 */
export class CloudGaveUpError extends CloudError {
  override readonly name = "CloudGaveUpError";

  constructor(
    readonly reason: GiveUpReason,
    readonly attempts: number,
    readonly lastError: CloudError,
    /** The call's HTTP method, to say why a write is not repeated. */
    method: string,
  ) {
    const why =
      reason === "not_retry_safe"
        ? `not retried: ${method} without an Idempotency-Key may have taken effect`
        : `gave up after ${attempts === 1 ? "1 attempt" : `${attempts} attempts`}`;
    super(lastError.operation, `${lastError.message} (${why})`);
  }
}

/** The call's deadline came before an answer; `detail` says what was still to do. */
export class CloudDeadlineError extends CloudError {
  override readonly name = "CloudDeadlineError";

  constructor(
    operation: string,
    /** What ran out of time, e.g. `cloud getVolume` or `waiting for operation op-1 (createVolume)`. */
    what: string,
    readonly detail?: string,
  ) {
    super(operation, `${what}: deadline exceeded${detail === undefined ? "" : `; last error: ${detail}`}`);
  }
}

/** The caller cancelled the call (its AbortSignal fired); nothing more was sent for it. */
export class CloudCancelledError extends CloudError {
  override readonly name = "CloudCancelledError";

  constructor(operation: string, what = `cloud ${operation}`) {
    super(operation, `${what}: cancelled`);
  }
}

/** The part of a cloud error's message after `cloud <operation>: `, to quote it inside another. */
export function withoutOperation(error: CloudError): string {
  const prefix = `cloud ${error.operation}: `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}
