import type { Provider, ProviderCapabilities } from "../provider.js";
import { digitalOceanDeviceLocator } from "./device-locator.js";
import { MAX_VOLUMES_PER_DROPLET } from "./names.js";
import { digitalOceanNodeIdentity } from "./node-identity.js";

/**
 * DigitalOcean volumes are created (empty or from a snapshot), deleted, attached, detached, grown
 * and snapshotted. It has no volume copy, so clones are made as snapshot, restore, delete
 * (src/providers/shared/clone-via-snapshot.ts, applied in connect.ts). No tiers, IOPS or
 * throughput to choose, no encryption setting, no capacity report; a volume attaches to one droplet.
 */
export const DIGITALOCEAN_CAPABILITIES: ProviderCapabilities = {
  snapshots: true,
  listSnapshots: true,
  clones: true,
  modify: false,
  multiAttach: false,
  readOnlyAttach: false,
  tiers: false,
  encryption: false,
  capacity: false,
  groupSnapshots: false,
};

/**
 * DigitalOcean allows 5,000 requests an hour and 250 a minute per account. The driver takes one a
 * second (3,600 an hour, leaving 1,400 for the cloud controller manager and people's tools), and a
 * burst of 20 lets a create or an attach go out at once after a quiet spell: at most 80 in any
 * minute, far under 250.
 */
export const DIGITALOCEAN_DEFAULT_QPS = 1;
export const DIGITALOCEAN_DEFAULT_BURST = 20;

/** DigitalOcean Block Storage (openapi/providers/digitalocean.v2.yaml); docs/digitalocean.md says what works. */
export const digitalOceanProvider: Provider = {
  name: "digitalocean",
  capabilities: DIGITALOCEAN_CAPABILITIES,
  maxVolumesPerInstance: MAX_VOLUMES_PER_DROPLET,
  // Its API lists snapshots only per volume (docs/digitalocean.md, "Metrics").
  inventoryCountsSnapshots: false,
  defaultQps: DIGITALOCEAN_DEFAULT_QPS,
  defaultBurst: DIGITALOCEAN_DEFAULT_BURST,
  // A check every 5 s on two replicas would be 1,440 of the 5,000 requests an hour.
  readinessTtlMs: 60_000,
  async blockStorage(connection) {
    const { connectDigitalOcean } = await import("./connect.js");
    return connectDigitalOcean(connection, {
      qps: DIGITALOCEAN_DEFAULT_QPS,
      burst: DIGITALOCEAN_DEFAULT_BURST,
    });
  },
  deviceLocator: digitalOceanDeviceLocator,
  nodeIdentity: (metadataUrl) => digitalOceanNodeIdentity(metadataUrl),
};
