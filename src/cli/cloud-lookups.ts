import type { BlockStorage, Instance } from "../controller/block-storage.js";
import { MANAGED_BY_TAG } from "../controller/storage-class-parameters.js";
import type { InstanceInfo, InstanceLookup } from "../node/node-identity.js";
import type { InventorySource } from "../observability/inventory.js";
import type { Provider, ProviderProfile } from "../providers/provider.js";
import { failedPrecondition, notFound } from "../shared/errors.js";

const LOOKUP_BUDGET_MS = 30_000;
const PAGE = 1000;

/**
 * NodeGetInfo's view of this machine through the provider's port: the instance (by node name or,
 * after a metadata service named it, by id), and the attached volumes this driver does not manage
 * (they use attach slots the driver cannot count on). A volume that cannot be read counts as
 * unmanaged: it holds a slot all the same.
 */
export function instanceLookup(
  storage: BlockStorage,
  provider: ProviderProfile,
  driverName: string,
): Required<InstanceLookup> {
  const info = async (instance: Instance, deadline: number): Promise<InstanceInfo> => {
    const unmanaged: string[] = [];
    for (const volumeId of instance.attachedVolumeIds) {
      const volume = await storage.getVolume(volumeId, { deadline });
      if (volume?.tags[MANAGED_BY_TAG] !== driverName) unmanaged.push(volumeId);
    }
    return {
      id: instance.id,
      zone: instance.zone,
      maxAttachedVolumes: instance.maxAttachedVolumes,
      unmanagedAttachedVolumeIds: unmanaged,
    };
  };
  return {
    async findInstanceByName(nodeName) {
      if (storage.findInstanceByName === undefined) {
        throw failedPrecondition(
          `--node-name: provider ${provider.name} cannot find an instance by name; set --node-id`,
        );
      }
      const deadline = Date.now() + LOOKUP_BUDGET_MS;
      const instance = await storage.findInstanceByName(nodeName, { deadline });
      if (instance === undefined) throw notFound(`--node-name: no instance named "${nodeName}" in the cloud`);
      return info(instance, deadline);
    },
    async findInstanceById(instanceId) {
      const deadline = Date.now() + LOOKUP_BUDGET_MS;
      const instance = await storage.getInstance(instanceId, { deadline });
      if (instance === undefined) throw notFound(`instance ${instanceId} does not exist in the cloud`);
      return info(instance, deadline);
    },
  };
}

/**
 * The inventory gauges' source: driver-managed volumes and snapshots, counted by status. A
 * provider without snapshots has none to count, and one whose snapshots cost a request per volume
 * to list is not asked (`inventoryCountsSnapshots`).
 */
export function inventorySource(
  storage: BlockStorage,
  provider: Pick<Provider, "capabilities" | "inventoryCountsSnapshots">,
  driverName: string,
): InventorySource {
  return {
    async countVolumes(signal) {
      const byStatus: Record<string, number> = {};
      let attachments = 0;
      const deadline = Date.now() + LOOKUP_BUDGET_MS;
      let pageToken: string | undefined;
      do {
        const page = await storage.listVolumes(
          { tags: { [MANAGED_BY_TAG]: driverName }, limit: PAGE, pageToken },
          { deadline, signal },
        );
        for (const volume of page.items) {
          byStatus[volume.status] = (byStatus[volume.status] ?? 0) + 1;
          attachments += volume.attachments.length;
        }
        pageToken = page.nextPageToken;
      } while (pageToken !== undefined);
      return { byStatus, attachments };
    },
    async countSnapshots(signal) {
      const byStatus: Record<string, number> = {};
      if (!provider.capabilities.snapshots || !provider.inventoryCountsSnapshots) return { byStatus };
      const deadline = Date.now() + LOOKUP_BUDGET_MS;
      let pageToken: string | undefined;
      do {
        const page = await storage.listSnapshots({ limit: PAGE, pageToken }, { deadline, signal });
        for (const snapshot of page.items) {
          if (snapshot.tags[MANAGED_BY_TAG] !== driverName) continue;
          byStatus[snapshot.status] = (byStatus[snapshot.status] ?? 0) + 1;
        }
        pageToken = page.nextPageToken;
      } while (pageToken !== undefined);
      return { byStatus };
    },
  };
}
