import type { ProviderProfile } from "../providers/provider.js";
import { InFlightLocks } from "../shared/inflight-locks.js";
import type { BlockStorage, OperationOptions } from "./block-storage.js";
import { CloudCatalog } from "./cloud-catalog.js";
import type { ControllerContext } from "./controller-context.js";

export interface ControllerServiceOptions {
  cloud: BlockStorage;
  /** The provider `cloud` adapts: its name for messages and its capability set. */
  provider: ProviderProfile;
  driverName: string;
  defaultZone?: string | undefined;
  /** Default "balanced". */
  defaultVolumeType?: string | undefined;
  /** Called when a request is refused because another is in flight for the same thing. */
  onInFlightConflict?: ((method: string, key: string) => void) | undefined;
  /** How long tiers and zones are cached; default one minute. */
  catalogTtlMs?: number | undefined;
}

/**
 * The Controller domain as one process holds it: the context every Controller RPC's operation
 * (create-volume.ts, volume-operations.ts, …) runs with, built once, and Probe's check of the cloud.
 * The gRPC adapter in src/csi calls each operation with this context directly.
 */
export class ControllerService {
  readonly context: ControllerContext;

  constructor(options: ControllerServiceOptions) {
    this.context = {
      cloud: options.cloud,
      provider: options.provider,
      catalog: new CloudCatalog(options.cloud, options.catalogTtlMs),
      locks: new InFlightLocks(options.onInFlightConflict),
      driverName: options.driverName,
      defaultZone: options.defaultZone,
      defaultVolumeType: options.defaultVolumeType ?? "balanced",
    };
  }

  /**
   * For Probe: the cloud answers a cheap authenticated request now. It goes past the zone
   * catalog's cache, which may hold zones for a minute: Probe's own short cache is the only one
   * between it and the cloud.
   */
  async probeCloud(options: OperationOptions): Promise<void> {
    await this.context.cloud.probe(options);
  }
}
