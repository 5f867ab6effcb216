import type { BlockStorageClient } from "../../cloud/block-storage-client.js";
import type { SnapshotGroup as CloudSnapshotGroup } from "../../cloud/cloud-types.js";
import type { OperationOptions } from "../../controller/block-storage.js";
import type { SnapshotGroup, SnapshotGroupStorage } from "../../controller/snapshot-group-storage.js";
import { notFound } from "../../shared/errors.js";
import type { IdShapes } from "./block-storage-adapter.js";
import { toSnapshot } from "./block-storage-adapter.js";
import { goneIsDone, mapped, orUndefined } from "./call-mapping.js";

/** The ballast contract's snapshot group ids (openapi/block-storage.v1.yaml). */
const SNAPSHOT_GROUP_ID = /^sg-[0-9a-f]{16}$/;

function toSnapshotGroup(g: CloudSnapshotGroup): SnapshotGroup {
  return {
    id: g.id,
    name: g.name,
    sourceVolumeIds: [...g.sourceVolumeIds],
    snapshots: g.snapshots.map(toSnapshot),
    status: g.status,
    readyToUse: g.readyToUse,
    createdAt: g.createdAt,
    tags: g.tags,
  };
}

/**
 * The ballast API's snapshot groups behind the controller's port, with the same rules as the rest
 * of the adapter: ids this cloud never issues are "does not exist" without a call, a group already
 * gone is a finished delete.
 */
export function snapshotGroupStorage(
  client: BlockStorageClient,
  ids: IdShapes,
  call: (options: OperationOptions) => OperationOptions & { deadline: number },
): SnapshotGroupStorage {
  return {
    async createSnapshotGroup(input, options) {
      const [unknown] = input.sourceVolumeIds.filter((id) => !ids.volume.test(id));
      if (unknown !== undefined) throw notFound(`source_volume_ids: volume ${unknown} does not exist`);
      return mapped(
        (async () => {
          const pending = await client.startCreateSnapshotGroup(
            { name: input.name, sourceVolumeIds: input.sourceVolumeIds, tags: input.tags },
            { ...call(options), idempotencyKey: options.idempotencyKey },
          );
          const done = pending.operation.snapshotGroup;
          if (done !== undefined) return toSnapshotGroup(done);
          return toSnapshotGroup(await client.getSnapshotGroup(pending.operation.resourceId, call(options)));
        })(),
      );
    },
    async getSnapshotGroup(id, options) {
      if (!SNAPSHOT_GROUP_ID.test(id)) return undefined;
      const group = await orUndefined(client.getSnapshotGroup(id, call(options)));
      return group && toSnapshotGroup(group);
    },
    async findSnapshotGroupByName(name, options) {
      const group = await mapped(client.findSnapshotGroupByName(name, call(options)));
      return group && toSnapshotGroup(group);
    },
    async deleteSnapshotGroup(id, options) {
      if (SNAPSHOT_GROUP_ID.test(id)) await goneIsDone(client.deleteSnapshotGroup(id, call(options)));
    },
  };
}
