import type { Provider, ProviderCapabilities } from "../provider.js";
import { hetznerDeviceLocator } from "./device-locator.js";
import { hetznerNodeIdentity } from "./node-identity.js";
import { MAX_VOLUMES_PER_SERVER } from "./resources.js";

/** Hetzner volumes are created, deleted, attached, detached and grown; nothing else. */
export const HETZNER_CAPABILITIES: ProviderCapabilities = {
  snapshots: false,
  listSnapshots: false,
  clones: false,
  modify: false,
  multiAttach: false,
  readOnlyAttach: false,
  tiers: false,
  encryption: false,
  capacity: false,
  groupSnapshots: false,
};

/**
 * Hetzner allows 3600 requests an hour per project, refilled at one a second. The driver takes
 * 0.75 a second (0.75 × 3600 = 2700 an hour, three quarters of the budget), leaving 900 an hour
 * for the cloud controller manager and people's tools in the same project; a burst of 10 lets a
 * create or an attach (a call and a few action polls) go out at once after a quiet spell.
 */
export const HETZNER_DEFAULT_QPS = 0.75;
export const HETZNER_DEFAULT_BURST = 10;

/** Hetzner Cloud volumes (openapi/providers/hetzner-cloud.v1.yaml); docs/hetzner.md says what works. */
export const hetznerProvider: Provider = {
  name: "hetzner",
  capabilities: HETZNER_CAPABILITIES,
  maxVolumesPerInstance: MAX_VOLUMES_PER_SERVER,
  inventoryCountsSnapshots: false,
  defaultQps: HETZNER_DEFAULT_QPS,
  defaultBurst: HETZNER_DEFAULT_BURST,
  // A check every 5 s on two replicas would be 1,440 of the 3,600 requests an hour.
  readinessTtlMs: 60_000,
  async blockStorage(connection) {
    const { connectHetzner } = await import("./connect.js");
    return connectHetzner(connection, { qps: HETZNER_DEFAULT_QPS, burst: HETZNER_DEFAULT_BURST });
  },
  deviceLocator: hetznerDeviceLocator,
  nodeIdentity: (metadataUrl) => hetznerNodeIdentity(metadataUrl),
};
