/**
 * Start times of the RPCs being served, by method, so a scrape can tell how long the oldest one
 * has been running: the in-flight count alone cannot tell one stuck call from steady traffic.
 */
export class InFlightTracker {
  private readonly started = new Map<string, Map<symbol, number>>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Records a call of `method` starting now; pass the token to `finish`. */
  start(method: string): symbol {
    const token = Symbol(method);
    let calls = this.started.get(method);
    if (calls === undefined) {
      calls = new Map();
      this.started.set(method, calls);
    }
    calls.set(token, this.now());
    return token;
  }

  finish(method: string, token: symbol): void {
    this.started.get(method)?.delete(token);
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
