import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { BallastError, unavailable } from "../shared/errors.js";
import { type BackoffPolicy, fullJitterDelayMs } from "./backoff.js";
import type { CallOptions } from "./call-runner.js";
import { problemToError } from "./cloud-api-error.js";
import { deadlineExceeded, remainingMs, sleep } from "./deadline.js";
import { toBallastError } from "./error-mapping.js";

/**
 * A failed operation, told apart from failures to poll it (metrics); otherwise a plain
 * BallastError of the kind its problem maps to.
 */
export class OperationFailedError extends BallastError {}

/** The fields of the contract's Operation the waiter relies on. */
export interface OperationLike {
  id: string;
  kind: string;
  status: "running" | "succeeded" | "failed";
  error?: unknown;
}

/** An operation as the server last showed it, with its hint of when to look again. */
export interface OperationSnapshot<Op extends OperationLike> {
  operation: Op;
  /** From `Poll-After-Ms` / `Retry-After`, in ms. */
  pollHintMs?: number;
}

export const DEFAULT_POLL_POLICY: BackoffPolicy = {
  initialDelayMs: 250,
  maxDelayMs: 5_000,
  multiplier: 1.5,
};

/** Below this a server hint of "0" would make a busy loop of GETs. */
const MIN_POLL_DELAY_MS = 20;

export interface OperationWaiterDependencies<Op extends OperationLike> {
  fetchOperation: (id: string, options: CallOptions) => Promise<OperationSnapshot<Op>>;
  policy: BackoffPolicy;
  metrics?: Metrics;
  logger?: Logger;
  now?: () => number;
  random?: () => number;
}

/**
 * Waits for async cloud work: polls GET /v1/operations/{id} until it is no longer running. The
 * server's hint decides the next poll when there is one (it knows how long the work takes), up to
 * the policy's longest delay; otherwise the delay grows with jitter. Never waits past the deadline. A failed operation
 * becomes the BallastError its problem maps to.
 */
export class OperationWaiter<Op extends OperationLike> {
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly deps: OperationWaiterDependencies<Op>) {
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
  }

  async wait(start: OperationSnapshot<Op>, options: CallOptions): Promise<Op> {
    const started = performance.now();
    const kind = start.operation.kind;
    let result = "error";
    try {
      const done = await this.poll(start, options);
      result = "succeeded";
      return done;
    } catch (error) {
      if (error instanceof OperationFailedError) result = "failed";
      else if (error instanceof BallastError && error.kind === "DeadlineExceeded") result = "deadline";
      throw error;
    } finally {
      this.deps.metrics?.cloudOperationWait.observe({ kind, result }, (performance.now() - started) / 1000);
    }
  }

  private async poll(start: OperationSnapshot<Op>, options: CallOptions): Promise<Op> {
    let current = start;
    for (let pollNumber = 1; ; pollNumber += 1) {
      const { operation } = current;
      if (operation.status === "succeeded") return operation;
      if (operation.status === "failed") {
        const mapped = toBallastError(
          problemToError(`operation ${operation.id} (${operation.kind})`, operation.error),
        );
        throw new OperationFailedError(mapped.kind, mapped.message, { cause: mapped.cause });
      }
      const backoff = fullJitterDelayMs(this.deps.policy, pollNumber, this.random);
      // A hint past the policy's longest delay is cut to it: a server that says "come back in ten
      // minutes" (by mistake or hostile) must not make a finished operation look like a timeout.
      const hint = current.pollHintMs;
      const hinted = hint === undefined ? undefined : Math.min(hint, this.deps.policy.maxDelayMs);
      const delay = Math.max(MIN_POLL_DELAY_MS, hinted ?? backoff);
      const left = remainingMs(options.deadline, this.now());
      if (left <= 0) {
        throw deadlineExceeded(`waiting for operation ${operation.id} (${operation.kind})`, "still running");
      }
      // Sleep to at most the deadline: the work may finish just before it, and the caller's retry
      // of the whole RPC picks the operation up again anyway.
      await sleep(Math.min(delay, left), options.signal).catch((reason: unknown) => {
        throw unavailable(`waiting for operation ${operation.id}: cancelled`, reason);
      });
      if (remainingMs(options.deadline, this.now()) <= 0) {
        throw deadlineExceeded(`waiting for operation ${operation.id} (${operation.kind})`, "still running");
      }
      this.deps.logger?.debug(
        { operationId: operation.id, kind: operation.kind, pollNumber },
        "polling operation",
      );
      current = await this.deps.fetchOperation(operation.id, options).catch((error: unknown) => {
        // The deadline can strike during a poll; name the operation, which is what callers act on.
        if (error instanceof BallastError && error.kind === "DeadlineExceeded") {
          throw deadlineExceeded(
            `waiting for operation ${operation.id} (${operation.kind})`,
            "still running",
            error,
          );
        }
        throw error;
      });
    }
  }
}
