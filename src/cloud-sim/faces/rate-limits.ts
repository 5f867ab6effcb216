/**
 * A cloud's request budget as its API reports it in every answer's rate-limit headers. Each face
 * names the headers its API uses; requests refused for the budget do not count against it.
 */
export interface RateLimiter {
  /** Counts one request at `nowMs`, or refuses it when the budget is spent. */
  take(nowMs: number): { allowed: boolean; headers: Record<string, string> };
  /** The headers of a refusal injected as a fault, as if the budget were spent for `seconds`. */
  exhausted(nowMs: number, seconds: number): Record<string, string>;
}

export interface RateLimitHeaderNames {
  limit: string;
  remaining: string;
  reset: string;
}

export interface Window {
  requests: number;
  seconds: number;
}

/**
 * Requests counted over sliding windows (DigitalOcean: per hour and per minute). The headers report
 * the first window; its reset is when the oldest request it counts stops counting.
 */
export class SlidingWindows implements RateLimiter {
  private readonly stamps: number[] = [];
  private readonly longestMs: number;

  constructor(
    private readonly windows: readonly Window[],
    private readonly names: RateLimitHeaderNames,
  ) {
    this.longestMs = Math.max(...windows.map((w) => w.seconds * 1000));
  }

  take(nowMs: number): { allowed: boolean; headers: Record<string, string> } {
    while (this.stamps.length > 0 && (this.stamps[0] as number) <= nowMs - this.longestMs)
      this.stamps.shift();
    const allowed = this.windows.every((w) => this.countSince(nowMs - w.seconds * 1000) < w.requests);
    if (allowed) this.stamps.push(nowMs);
    return { allowed, headers: this.headers(nowMs) };
  }

  exhausted(nowMs: number, seconds: number): Record<string, string> {
    const first = this.windows[0] as Window;
    return this.format(first.requests, 0, nowMs + seconds * 1000);
  }

  private headers(nowMs: number): Record<string, string> {
    const first = this.windows[0] as Window;
    const since = nowMs - first.seconds * 1000;
    const counted = this.stamps.filter((at) => at > since);
    const oldest = counted[0];
    const resetMs = oldest === undefined ? nowMs : oldest + first.seconds * 1000;
    return this.format(first.requests, Math.max(0, first.requests - counted.length), resetMs);
  }

  private countSince(since: number): number {
    let count = 0;
    for (let i = this.stamps.length - 1; i >= 0 && (this.stamps[i] as number) > since; i--) count += 1;
    return count;
  }

  private format(limit: number, remaining: number, resetMs: number): Record<string, string> {
    return {
      [this.names.limit]: String(limit),
      [this.names.remaining]: String(remaining),
      [this.names.reset]: String(Math.ceil(resetMs / 1000)),
    };
  }
}

/**
 * A bucket of `capacity` requests refilled at `perSecond` (Hetzner: 3600, one a second). The reset
 * header is when the bucket is full again.
 */
export class TokenBucket implements RateLimiter {
  private tokens: number;
  private updatedMs: number | undefined;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly names: RateLimitHeaderNames,
  ) {
    this.tokens = capacity;
  }

  take(nowMs: number): { allowed: boolean; headers: Record<string, string> } {
    this.refill(nowMs);
    const allowed = this.tokens >= 1;
    if (allowed) this.tokens -= 1;
    return { allowed, headers: this.format(Math.floor(this.tokens), nowMs) };
  }

  exhausted(nowMs: number, seconds: number): Record<string, string> {
    return {
      [this.names.limit]: String(this.capacity),
      [this.names.remaining]: "0",
      [this.names.reset]: String(Math.ceil(nowMs / 1000 + seconds)),
    };
  }

  private refill(nowMs: number): void {
    const elapsedS = this.updatedMs === undefined ? 0 : Math.max(0, nowMs - this.updatedMs) / 1000;
    this.tokens = Math.min(this.capacity, this.tokens + elapsedS * this.perSecond);
    this.updatedMs = nowMs;
  }

  private format(remaining: number, nowMs: number): Record<string, string> {
    const untilFullS = (this.capacity - this.tokens) / this.perSecond;
    return {
      [this.names.limit]: String(this.capacity),
      [this.names.remaining]: String(remaining),
      [this.names.reset]: String(Math.ceil(nowMs / 1000 + untilFullS)),
    };
  }
}
