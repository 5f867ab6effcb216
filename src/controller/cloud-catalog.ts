import type { BlockStorage, CallOptions, VolumeType, Zone } from "./block-storage.js";

interface Cached<T> {
  value: T;
  expiresAt: number;
}

/**
 * Tiers and zones change rarely, and CreateVolume needs both on every call: they are cached for
 * `ttlMs`, and concurrent callers share one in-flight fetch so a burst of RPCs costs one request.
 */
export class CloudCatalog {
  private types?: Cached<VolumeType[]>;
  private zones?: Cached<Zone[]>;
  private typesInFlight?: Promise<VolumeType[]>;
  private zonesInFlight?: Promise<Zone[]>;

  constructor(
    private readonly cloud: Pick<BlockStorage, "listVolumeTypes" | "listZones">,
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async volumeTypes(options: CallOptions): Promise<VolumeType[]> {
    if (this.types !== undefined && this.types.expiresAt > this.now()) return this.types.value;
    this.typesInFlight ??= this.cloud.listVolumeTypes(options).finally(() => {
      this.typesInFlight = undefined;
    });
    const value = await this.typesInFlight;
    this.types = { value, expiresAt: this.now() + this.ttlMs };
    return value;
  }

  async zoneList(options: CallOptions): Promise<Zone[]> {
    if (this.zones !== undefined && this.zones.expiresAt > this.now()) return this.zones.value;
    this.zonesInFlight ??= this.cloud.listZones(options).finally(() => {
      this.zonesInFlight = undefined;
    });
    const value = await this.zonesInFlight;
    this.zones = { value, expiresAt: this.now() + this.ttlMs };
    return value;
  }
}
