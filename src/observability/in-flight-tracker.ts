/**
 * Start times of the RPCs being served, by method, so a scrape can tell how long the oldest one
 * has been running: the in-flight count alone cannot tell one stuck call from steady traffic.
 */
export class InFlightTracker {
  private readonly started = new Map<string, Map<number, number>>();
  /** Tokens are numbers, not symbols: a token per RPC is on the hot path. */
  private nextToken = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Records a call of `method` starting now; pass the token to `finish`. */
  start(method: string): number {
    const token = this.nextToken;
    this.nextToken = (this.nextToken + 1) % Number.MAX_SAFE_INTEGER;
    let calls = this.started.get(method);
    if (calls === undefined) {
      calls = new Map();
      this.started.set(method, calls);
    }
    calls.set(token, this.now());
    return token;
  }

  finish(method: string, token: number): void {
    this.started.get(method)?.delete(token);
  }

  /** Calls in flight, for every method seen (0 when none runs). */
  counts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const [method, calls] of this.started) counts.set(method, calls.size);
    return counts;
  }

  /** Age in seconds of the oldest call in flight, for every method seen (0 when none runs). */
  oldestAgeSeconds(): Map<string, number> {
    const now = this.now();
    const ages = new Map<string, number>();
    for (const [method, calls] of this.started) {
      let oldest = now;
      for (const startedAt of calls.values()) oldest = Math.min(oldest, startedAt);
      ages.set(method, (now - oldest) / 1000);
    }
    return ages;
  }
}
