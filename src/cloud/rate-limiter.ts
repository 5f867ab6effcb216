import type { Metrics } from "../observability/metrics.js";
import { BallastError } from "../shared/errors.js";
import { CloudDeadlineError } from "./call-errors.js";
import { type Deadline, remainingMs, sleep } from "./deadline.js";

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
 * steady stream of API calls under the cloud's quota instead of a 429 storm.
 *
 * It is kept as a schedule of request slots (the generic cell rate algorithm): `nextSlotAt` is
 * when the bucket has room again, and a request may go up to `burst - 1` intervals ahead of it.
 * Each caller reserves the next slot on arrival and sleeps once until it, so callers go in
 * arrival order and a hundred waiting callers cost one timer each rather than a wake-up per
 * token. Waiting is bounded by the caller's deadline: a slot that comes after it fails the call at
 * once rather than after a pointless wait, and reserves nothing.
 */
export class RequestRateLimiter {
  private readonly intervalMs: number;
  private readonly burstAheadMs: number;
  private readonly metrics: Metrics | undefined;
  private readonly now: () => number;
  /** When the slot after the last reserved one falls due. */
  private nextSlotAt: number;
  /** The latest slot taken from the schedule, and `nextSlotAt` before it was, to give it back. */
  private lastSlot: { at: number; nextSlotAtBefore: number } | undefined;
  /** Future slots whose callers gave up, ascending; the next callers take them first. */
  private readonly freedSlots: number[] = [];

  constructor(options: RateLimiterOptions) {
    if (!(Number.isFinite(options.qps) && options.qps > 0)) {
      throw new BallastError("InvalidArgument", `qps: ${options.qps} must be a positive number`);
    }
    if (!(Number.isInteger(options.burst) && options.burst >= 1)) {
      throw new BallastError("InvalidArgument", `burst: ${options.burst} must be an integer ≥ 1`);
    }
    this.intervalMs = 1000 / options.qps;
    this.burstAheadMs = (options.burst - 1) * this.intervalMs;
    this.metrics = options.metrics;
    this.now = options.now ?? Date.now;
    // A client that just started has not used its burst yet.
    this.nextSlotAt = this.now();
  }

  /**
   * Takes one request slot for `operation`, waiting for it if needed. Throws CloudDeadlineError without waiting when
   * the slot comes after the deadline, and rejects with the signal's reason if it fires; either
   * way the slot is handed to the next caller.
   */
  async acquire(operation: string, deadline: Deadline, signal?: AbortSignal): Promise<void> {
    const started = performance.now();
    try {
      const now = this.now();
      const slot = this.reserve(now);
      const waitMs = Math.ceil(slot - now);
      if (waitMs <= 0) return;
      const left = remainingMs(deadline, now);
      if (waitMs >= left) {
        this.release(slot);
        throw new CloudDeadlineError(
          operation,
          `cloud ${operation}`,
          `rate limited: next request slot in ${waitMs} ms, ${Math.max(0, left)} ms left`,
        );
      }
      await sleep(waitMs, signal).catch((reason: unknown) => {
        this.release(slot);
        throw reason;
      });
    } finally {
      this.metrics?.cloudRateLimiterWait.observe((performance.now() - started) / 1000);
    }
  }

  /** The time the caller may send at: a freed slot still ahead, or the next one in the schedule. */
  private reserve(now: number): number {
    while (this.freedSlots.length > 0 && (this.freedSlots[0] as number) < now) this.freedSlots.shift();
    const freed = this.freedSlots.shift();
    if (freed !== undefined) return freed;
    const slot = Math.max(now, this.nextSlotAt - this.burstAheadMs);
    this.lastSlot = { at: slot, nextSlotAtBefore: this.nextSlotAt };
    this.nextSlotAt = Math.max(this.nextSlotAt, now) + this.intervalMs;
    return slot;
  }

  /**
   * Gives back a slot nobody will use. The last reserved one shortens the schedule; one with
   * callers after it is kept for the next caller, since moving those would reorder them.
   */
  private release(slot: number): void {
    if (this.lastSlot?.at === slot) {
      this.nextSlotAt = this.lastSlot.nextSlotAtBefore;
      this.lastSlot = undefined;
      return;
    }
    const index = this.freedSlots.findIndex((freed) => freed > slot);
    this.freedSlots.splice(index === -1 ? this.freedSlots.length : index, 0, slot);
  }
}
