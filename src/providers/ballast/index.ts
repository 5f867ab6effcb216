import type { Provider, ProviderCapabilities } from "../provider.js";
import { ballastDeviceLocator } from "./device-locator.js";

/** Everything the ballast API offers, and the driver serves all of it. */
export const BALLAST_CAPABILITIES: ProviderCapabilities = {
  snapshots: true,
  listSnapshots: true,
  clones: true,
  modify: true,
  multiAttach: true,
  readOnlyAttach: true,
  tiers: true,
  encryption: true,
  capacity: true,
  groupSnapshots: true,
};

/**
 * Ballast's own API (openapi/block-storage.v1.yaml), served by the reference cloud. It has no
 * metadata service: a node finds its instance by `--node-name` through the API, which also reports
 * each instance's own attach limit; `maxVolumesPerInstance` is the reference cloud's default for
 * the machine it runs on, used only when the API is not asked.
 */
export const ballastProvider: Provider = {
  name: "ballast",
  capabilities: BALLAST_CAPABILITIES,
  maxVolumesPerInstance: 16,
  inventoryCountsSnapshots: true,
  defaultQps: 20,
  defaultBurst: 40,
  readinessTtlMs: 5_000,
  async blockStorage(connection) {
    const { connectBallast } = await import("./connect.js");
    return connectBallast(connection);
  },
  deviceLocator: ballastDeviceLocator,
  nodeIdentity: undefined,
};
