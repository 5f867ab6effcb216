/**
 * A value fetched on demand and remembered for `ttlMs`; callers that arrive while a fetch is in
 * flight share it, so a burst of callers costs one request. A failed fetch is not remembered.
 */
export class SharedExpiringValue<T> {
  private cached?: { value: T; expiresAt: number };
  private inFlight?: Promise<T>;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The remembered value, or the result of `fetch` (only the first waiting caller's runs). */
  get(fetch: () => Promise<T>): Promise<T> {
    if (this.cached !== undefined && this.cached.expiresAt > this.now()) {
      return Promise.resolve(this.cached.value);
    }
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
