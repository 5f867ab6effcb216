import { SharedExpiringValue } from "../shared/shared-expiring-value.js";
import type { BlockStorage, OperationOptions, VolumeType, Zone } from "./block-storage.js";

/** How much of an entry's life is left when one still in use is fetched again, in the background. */
const REFRESH_AHEAD_FRACTION = 0.2;

/**
 * Tiers and zones change rarely, and CreateVolume needs both on every call: they are cached for
 * `ttlMs` and refreshed ahead of expiry while in use, and concurrent callers share one in-flight
 * fetch so a burst of RPCs costs one request. The shared fetch is not cancelled with the RPC that
 * started it: the others still wait for it.
 */
export class CloudCatalog {
  private readonly types: SharedExpiringValue<VolumeType[]>;
  private readonly zones: SharedExpiringValue<Zone[]>;

  constructor(
    private readonly cloud: Pick<BlockStorage, "listVolumeTypes" | "listZones">,
    ttlMs = 60_000,
    now: () => number = Date.now,
  ) {
    this.types = new SharedExpiringValue(ttlMs, now, ttlMs * REFRESH_AHEAD_FRACTION);
    this.zones = new SharedExpiringValue(ttlMs, now, ttlMs * REFRESH_AHEAD_FRACTION);
  }

  volumeTypes(options: OperationOptions): Promise<VolumeType[]> {
    return this.types.get(() => this.cloud.listVolumeTypes({ deadline: options.deadline }));
  }

  zoneList(options: OperationOptions): Promise<Zone[]> {
    return this.zones.get(() => this.cloud.listZones({ deadline: options.deadline }));
  }
}
