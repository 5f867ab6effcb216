import type { BlockStorage, OperationOptions, VolumeType, Zone } from "./block-storage.js";

/** How long before its expiry a catalog entry still in use is fetched again, in the background. */
const REFRESH_AHEAD_FRACTION = 0.2;

/**
 * One catalog entry: fetched on demand, remembered for `ttlMs`, one shared fetch for the callers
 * that arrive while it runs. A caller in the last fifth of the entry's life gets the remembered
 * value at once and starts its refresh, so steady traffic never waits for a fetch after the first;
 * a value is never used past its `ttlMs`. A failed fetch is not remembered.
 */
class CatalogEntry<T> {
  private cached?: { value: T; expiresAt: number };
  private inFlight?: Promise<T>;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  get(fetch: () => Promise<T>): Promise<T> {
    const now = this.now();
    if (this.cached === undefined || this.cached.expiresAt <= now) return this.fetchShared(fetch);
    if (this.cached.expiresAt - now <= this.ttlMs * REFRESH_AHEAD_FRACTION) {
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

/**
 * Tiers and zones change rarely, and CreateVolume needs both on every call: they are cached for
 * `ttlMs` and refreshed ahead of expiry while in use, and concurrent callers share one in-flight
 * fetch so a burst of RPCs costs one request. The shared fetch is not cancelled with the RPC that
 * started it: the others still wait for it.
 */
export class CloudCatalog {
  private readonly types: CatalogEntry<VolumeType[]>;
  private readonly zones: CatalogEntry<Zone[]>;

  constructor(
    private readonly cloud: Pick<BlockStorage, "listVolumeTypes" | "listZones">,
    ttlMs = 60_000,
    now: () => number = Date.now,
  ) {
    this.types = new CatalogEntry(ttlMs, now);
    this.zones = new CatalogEntry(ttlMs, now);
  }

  volumeTypes(options: OperationOptions): Promise<VolumeType[]> {
    return this.types.get(() => this.cloud.listVolumeTypes({ deadline: options.deadline }));
  }

  zoneList(options: OperationOptions): Promise<Zone[]> {
    return this.zones.get(() => this.cloud.listZones({ deadline: options.deadline }));
  }
}
