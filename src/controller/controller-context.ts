import type { ProviderProfile } from "../providers/provider.js";
import type { InFlightLocks } from "../shared/inflight-locks.js";
import type { BlockStorage } from "./block-storage.js";
import type { CloudCatalog } from "./cloud-catalog.js";

/** What every controller operation works with; built once by `ControllerService`. */
export interface ControllerContext {
  cloud: BlockStorage;
  /** What the cloud behind `cloud` can do; operations ask it, never the provider's name. */
  provider: ProviderProfile;
  catalog: CloudCatalog;
  locks: InFlightLocks;
  driverName: string;
  /** Zone for volumes created without topology requirements; the cloud's first open zone when unset. */
  defaultZone?: string | undefined;
  /** Tier for StorageClasses without a `type`. */
  defaultVolumeType: string;
}

/** Lock keys: one namespace per kind of thing the CO names. */
export const lockKeys = {
  volumeName: (name: string) => `volume name ${name}`,
  volumeId: (id: string) => `volume ${id}`,
  volumeOnNode: (id: string, nodeId: string) => `volume ${id} on node ${nodeId}`,
  snapshotName: (name: string) => `snapshot name ${name}`,
  snapshotId: (id: string) => `snapshot ${id}`,
  snapshotGroupName: (name: string) => `snapshot group name ${name}`,
  snapshotGroupId: (id: string) => `snapshot group ${id}`,
};
