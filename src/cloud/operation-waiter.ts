import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { CloudCancelledError, CloudDeadlineError } from "./call-errors.js";
import type { RequestOptions } from "./call-runner.js";
import { problemToError } from "./cloud-api-error.js";
import { remainingMs, sleep } from "./deadline.js";

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

/** How often to poll when the server gives no hint: a delay that grows, with full jitter. */
export interface PollPolicy {
  /** Cap of the first delay, in ms. */
  initialDelayMs: number;
  /** No delay is ever longer than this, in ms; a longer server hint is cut to it too. */
  maxDelayMs: number;
  /** Growth of the cap per poll. */
  multiplier: number;
}

export const DEFAULT_POLL_POLICY: PollPolicy = {
  initialDelayMs: 250,
  maxDelayMs: 5_000,
  multiplier: 1.5,
};

/** Below this a server hint of "0" would make a busy loop of GETs. */
const MIN_POLL_DELAY_MS = 20;

export interface OperationWaiterDependencies<Op extends OperationLike> {
  fetchOperation: (id: string, options: RequestOptions) => Promise<OperationSnapshot<Op>>;
  policy: PollPolicy;
  metrics?: Metrics | undefined;
  logger?: Logger | undefined;
  now?: (() => number) | undefined;
  random?: (() => number) | undefined;
}

/**
 * Waits for async cloud work: polls GET /v1/operations/{id} until it is no longer running. The
 * server's hint decides the next poll when there is one (it knows how long the work takes), up to
 * the policy's longest delay; otherwise the delay grows with full jitter. Never waits past the
 * deadline, and stops at once when the caller's signal fires. A failed operation throws the
 * CloudApiError of its problem.
 */
export class OperationWaiter<Op extends OperationLike> {
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly deps: OperationWaiterDependencies<Op>) {
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
  }

  async wait(start: OperationSnapshot<Op>, options: RequestOptions): Promise<Op> {
    const started = performance.now();
    const kind = start.operation.kind;
    let result = "error";
    try {
      const done = await this.poll(start, options);
      if (done.status === "failed") {
        result = "failed";
        throw problemToError(`operation ${done.id} (${done.kind})`, done.error);
      }
      result = "succeeded";
      return done;
    } catch (error) {
      if (error instanceof CloudDeadlineError) result = "deadline";
      else if (error instanceof CloudCancelledError) result = "cancelled";
      throw error;
    } finally {
      this.deps.metrics?.cloudOperationWait.observe({ kind, result }, (performance.now() - started) / 1000);
    }
  }

  /** The operation once it is no longer running. */
  private async poll(start: OperationSnapshot<Op>, options: RequestOptions): Promise<Op> {
    let current = start;
    for (let pollNumber = 1; ; pollNumber += 1) {
      const { operation } = current;
      if (operation.status !== "running") return operation;
      const waiting = `waiting for operation ${operation.id} (${operation.kind})`;
      const stillRunning = () => new CloudDeadlineError(operation.kind, waiting, "still running");
      // A hint past the policy's longest delay is cut to it: a server that says "come back in ten
      // minutes" (by mistake or hostile) must not make a finished operation look like a timeout.
      const hint = current.pollHintMs;
      const hinted = hint === undefined ? undefined : Math.min(hint, this.deps.policy.maxDelayMs);
      const delay = Math.max(MIN_POLL_DELAY_MS, hinted ?? this.backoffMs(pollNumber));
      const left = remainingMs(options.deadline, this.now());
      if (left <= 0) throw stillRunning();
      // Sleep to at most the deadline: the work may finish just before it, and the caller's retry
      // of the whole RPC picks the operation up again anyway.
      await sleep(Math.min(delay, left), options.signal).catch(() => {
        throw new CloudCancelledError(operation.kind, waiting);
      });
      if (remainingMs(options.deadline, this.now()) <= 0) throw stillRunning();
      this.deps.logger?.debug(
        { operationId: operation.id, kind: operation.kind, pollNumber },
        "polling operation",
      );
      current = await this.deps.fetchOperation(operation.id, options).catch((error: unknown) => {
        // The deadline or the caller's cancellation can strike during a poll; either way name the
        // operation, which is what callers act on.
        if (error instanceof CloudDeadlineError) throw stillRunning();
        if (error instanceof CloudCancelledError) throw new CloudCancelledError(operation.kind, waiting);
        throw error;
      });
    }
  }

  /** "Full jitter": a uniformly random delay below the exponential cap, `pollNumber` from 1. */
  private backoffMs(pollNumber: number): number {
    const { initialDelayMs, maxDelayMs, multiplier } = this.deps.policy;
    return Math.floor(this.random() * Math.min(maxDelayMs, initialDelayMs * multiplier ** (pollNumber - 1)));
  }
}
