import { SharedExpiringValue } from "../shared/shared-expiring-value.js";

/**
 * Probe's view of the cloud: one cheap call, its answer remembered for `ttlMs`, and concurrent
 * probes sharing the call in flight, so liveness probes never turn into a storm of API requests
 * and a down cloud answers ready=false instead of errors.
 */
export class CloudReadiness {
  private readonly answer: SharedExpiringValue<boolean>;

  constructor(
    private readonly check: () => Promise<void>,
    ttlMs = 5_000,
    now: () => number = Date.now,
    private readonly onFailure: (error: unknown) => void = () => {},
  ) {
    this.answer = new SharedExpiringValue(ttlMs, now);
  }

  ready(): Promise<boolean> {
    return this.answer.get(() =>
      this.check().then(
        () => true,
        (error: unknown) => {
          this.onFailure(error);
          return false;
        },
      ),
    );
  }
}
