import type { BlockStorageClient } from "../cloud/block-storage-client.js";
import type { Volume } from "../cloud/cloud-types.js";
import { MANAGED_BY_TAG } from "../controller/storage-class-parameters.js";
import type { InstanceInfo, InstanceLookup } from "../node/node-identity.js";
import type { InventorySource } from "../observability/inventory.js";
import { notFound } from "../shared/errors.js";

const LOOKUP_BUDGET_MS = 30_000;
const PAGE = 1000;

async function* allVolumes(
  client: BlockStorageClient,
  filter: { instanceId?: string; tags?: Record<string, string> },
  deadline: number,
): AsyncGenerator<Volume> {
  let pageToken: string | undefined;
  do {
    const page = await client.listVolumes({ ...filter, limit: PAGE, pageToken }, { deadline });
    yield* page.items;
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
}

/**
 * NodeGetInfo's view of this machine: the instance found by node name, and the attached volumes
 * this driver does not manage (they use attach slots the driver cannot count on).
 */
export function instanceLookup(client: BlockStorageClient, driverName: string): InstanceLookup {
  return {
    async findInstanceByName(nodeName: string): Promise<InstanceInfo> {
      const deadline = Date.now() + LOOKUP_BUDGET_MS;
      const instance = await client.findInstanceByName(nodeName, { deadline });
      if (instance === undefined) throw notFound(`--node-name: no instance named "${nodeName}" in the cloud`);
      const unmanaged: string[] = [];
      for await (const volume of allVolumes(client, { instanceId: instance.id }, deadline)) {
        if (volume.tags[MANAGED_BY_TAG] !== driverName) unmanaged.push(volume.id);
      }
      return {
        id: instance.id,
        zone: instance.zone,
        maxAttachedVolumes: instance.maxAttachedVolumes,
        unmanagedAttachedVolumeIds: unmanaged,
      };
    },
  };
}

/** The inventory gauges' source: driver-managed volumes and snapshots, counted by status. */
export function inventorySource(client: BlockStorageClient, driverName: string): InventorySource {
  return {
    async countVolumes(signal) {
      const byStatus: Record<string, number> = {};
      let attachments = 0;
      const deadline = Date.now() + LOOKUP_BUDGET_MS;
      let pageToken: string | undefined;
      do {
        const page = await client.listVolumes(
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
      const deadline = Date.now() + LOOKUP_BUDGET_MS;
      let pageToken: string | undefined;
      do {
        const page = await client.listSnapshots({ limit: PAGE, pageToken }, { deadline, signal });
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
