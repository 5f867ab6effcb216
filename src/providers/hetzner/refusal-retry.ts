import { CloudDeadlineError, CloudGaveUpError, withoutOperation } from "../../cloud/call-errors.js";
import { backoffMs, type RequestOptions } from "../../cloud/call-runner.js";
import { CloudApiError } from "../../cloud/cloud-api-error.js";
import { sleep as realSleep, remainingMs } from "../../cloud/deadline.js";

/**
 * Hetzner's refusals that say nothing was done, so any request (a POST without idempotency key
 * too) may be sent again: `locked` (another action holds the resource) and `conflict` (the
 * resource changed meanwhile) clear within seconds; `rate_limit_exceeded` clears at
 * `RateLimit-Reset`.
 */
const BACKOFF_CODES = new Set(["locked", "conflict"]);
const RATE_LIMIT_CODE = "rate_limit_exceeded";

export interface RefusalRetryPolicy {
  /** Retries of a locked or conflicting call after the first attempt. */
  maxRetries: number;
  initialDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
}

/** Hetzner's actions on a volume take a few seconds; ten tries span about a minute. */
export const DEFAULT_REFUSAL_RETRY: RefusalRetryPolicy = {
  maxRetries: 10,
  initialDelayMs: 500,
  maxDelayMs: 8_000,
  multiplier: 2,
};

export interface RefusalRetryDependencies {
  policy: RefusalRetryPolicy;
  now: () => number;
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  random?: (() => number) | undefined;
  onRetry?: ((operation: string, reason: string) => void) | undefined;
}

/** The Hetzner refusal a failed call carries, when it is one that did nothing. */
function refusalOf(error: unknown): CloudApiError | undefined {
  // A POST's 429 leaves the shared runner as "gave up: not retry safe"; a 429 did nothing either.
  const answer =
    error instanceof CloudGaveUpError && error.reason === "not_retry_safe" ? error.lastError : error;
  if (!(answer instanceof CloudApiError)) return undefined;
  return BACKOFF_CODES.has(answer.code) || answer.code === RATE_LIMIT_CODE ? answer : undefined;
}

/**
 * Runs `call` again after Hetzner refused it without doing anything: after the shared runner's
 * randomized backoff for `locked` and `conflict`, and not before `RateLimit-Reset` for
 * `rate_limit_exceeded`. Never waits past the deadline: a wait that
 * would end after it fails the call at once, with the refusal as the last error. Each attempt goes
 * through the shared runner again (rate limiter, metrics, transport retries).
 */
export async function retryRefusals<T>(
  operation: string,
  options: RequestOptions,
  deps: RefusalRetryDependencies,
  call: () => Promise<T>,
): Promise<T> {
  const sleep = deps.sleep ?? realSleep;
  const random = deps.random ?? Math.random;
  const { policy } = deps;
  for (let retry = 0; ; retry += 1) {
    try {
      return await call();
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal === undefined || retry >= policy.maxRetries) throw error;
      const delay =
        refusal.code === RATE_LIMIT_CODE
          ? (refusal.retryAfterMs ??
            Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** retry))
          : backoffMs(policy, retry, random);
      const left = remainingMs(options.deadline, deps.now());
      if (delay >= left) {
        throw new CloudDeadlineError(
          operation,
          `cloud ${operation}`,
          `${withoutOperation(refusal)} (next attempt in ${delay} ms, ${Math.max(0, left)} ms left)`,
        );
      }
      deps.onRetry?.(operation, refusal.code);
      await sleep(delay, options.signal);
    }
  }
}
