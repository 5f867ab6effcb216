/**
 * Probe's view of the cloud: one cheap call, its answer remembered for `ttlMs`, and concurrent
 * probes sharing the call in flight, so liveness probes never turn into a storm of API requests
 * and a down cloud answers ready=false instead of errors.
 */
export class CloudReadiness {
  private last?: { ready: boolean; at: number };
  private inFlight?: Promise<boolean>;

  constructor(
    private readonly check: () => Promise<void>,
    private readonly ttlMs = 5_000,
    private readonly now: () => number = Date.now,
    private readonly onFailure: (error: unknown) => void = () => {},
  ) {}

  ready(): Promise<boolean> {
    if (this.last !== undefined && this.now() - this.last.at < this.ttlMs)
      return Promise.resolve(this.last.ready);
    this.inFlight ??= this.check()
      .then(
        () => true,
        (error: unknown) => {
          this.onFailure(error);
          return false;
        },
      )
      .then((ready) => {
        this.last = { ready, at: this.now() };
        this.inFlight = undefined;
        return ready;
      });
    return this.inFlight;
  }
}
