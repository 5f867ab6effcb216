/**
 * A value fetched on demand and remembered for `ttlMs`; callers that arrive while a fetch is in
 * flight share it, so a burst of callers costs one request. A failed fetch is not remembered.
 * With `refreshAheadMs`, a caller in the last `refreshAheadMs` of the value's life gets the
 * remembered value at once and starts its refresh, so steady traffic never waits for a fetch
 * after the first; a value is never used past its `ttlMs`.
 */
export class SharedExpiringValue<T> {
  private cached?: { value: T; expiresAt: number };
  private inFlight?: Promise<T>;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly refreshAheadMs = 0,
  ) {}

  /** The remembered value, or the result of `fetch` (only the first waiting caller's runs). */
  get(fetch: () => Promise<T>): Promise<T> {
    const now = this.now();
    if (this.cached === undefined || this.cached.expiresAt <= now) return this.fetchShared(fetch);
    if (this.cached.expiresAt - now <= this.refreshAheadMs) {
      // Its failure is the next caller's to see, once the remembered value has expired.
      this.fetchShared(fetch).catch(() => undefined);
    }
    return Promise.resolve(this.cached.value);
  }

  private fetchShared(fetch: () => Promise<T>): Promise<T> {
    this.inFlight ??= fetch()
      .then((value) => {
        this.cached = { value, expiresAt: this.now() + this.ttlMs };
        return value;
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }
}
