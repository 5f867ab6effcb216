import { TokenBucket } from "limiter";
import type { Metrics } from "../observability/metrics.js";
import { BallastError } from "../shared/errors.js";
import { type Deadline, deadlineExceeded, remainingMs, sleep } from "./deadline.js";

export interface RateLimiterOptions {
  /** Sustained requests per second. */
  qps: number;
  /** Requests that may go out at once after a quiet spell. */
  burst: number;
  metrics?: Metrics;
  now?: () => number;
}

/**
 * Client-side token bucket shared by every call of one client, so a storm of CSI RPCs becomes a
 * steady stream of API calls under the cloud's quota instead of a 429 storm. Waiting is bounded
 * by the caller's deadline: a token that cannot arrive in time fails the call at once rather
 * than after a pointless wait.
 */
export class RequestRateLimiter {
  private readonly bucket: TokenBucket;
  private readonly metrics: Metrics | undefined;
  private readonly now: () => number;

  constructor(options: RateLimiterOptions) {
    if (!(Number.isFinite(options.qps) && options.qps > 0)) {
      throw new BallastError("InvalidArgument", `qps: ${options.qps} must be a positive number`);
    }
    if (!(Number.isInteger(options.burst) && options.burst >= 1)) {
      throw new BallastError("InvalidArgument", `burst: ${options.burst} must be an integer ≥ 1`);
    }
    this.bucket = new TokenBucket({
      bucketSize: options.burst,
      tokensPerInterval: options.qps,
      interval: 1000,
    });
    // limiter's buckets start empty; a client that just started has not used its burst yet.
    this.bucket.content = options.burst;
    this.metrics = options.metrics;
    this.now = options.now ?? Date.now;
  }

  /**
   * Takes one token, waiting for it if needed. Throws DeadlineExceeded without waiting when the
   * next token comes after the deadline, and rejects with the signal's reason if it fires.
   * Waiters poll the bucket rather than queue in it, so a caller that gives up holds no token.
   */
  async acquire(deadline: Deadline, signal?: AbortSignal): Promise<void> {
    const started = performance.now();
    try {
      while (!this.bucket.tryRemoveTokens(1)) {
        const waitMs = Math.max(1, this.bucket.getWaitTime(1));
        const left = remainingMs(deadline, this.now());
        if (waitMs >= left) {
          throw deadlineExceeded(
            "cloud rate limiter",
            `next request slot in ${waitMs} ms, ${Math.max(0, left)} ms left`,
          );
        }
        await sleep(waitMs, signal);
      }
    } finally {
      this.metrics?.cloudRateLimiterWait.observe((performance.now() - started) / 1000);
    }
  }
}
