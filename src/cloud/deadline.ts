/**
 * Deadlines are absolute epoch milliseconds (what a gRPC call's deadline becomes), so one value
 * can be handed down through retries, rate limiting and operation polling without drifting.
 */
export type Deadline = number;

export function remainingMs(deadline: Deadline, now: number): number {
  return deadline - now;
}

/**
 * A signal that fires at the deadline or when the caller's own signal fires, whichever is first.
 * In-flight requests are aborted with it so no request outlives the call that wanted it.
 */
export function deadlineSignal(deadline: Deadline, now: number, callerSignal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(Math.max(0, remainingMs(deadline, now)));
  return callerSignal === undefined ? timeout : AbortSignal.any([timeout, callerSignal]);
}

/** Sleeps for `ms`, rejecting with the signal's reason if it fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
