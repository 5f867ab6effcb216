import type { BlockStorageClient } from "../../cloud/block-storage-client.js";
import type {
  Attachment as CloudAttachment,
  Instance as CloudInstance,
  Snapshot as CloudSnapshot,
  Volume as CloudVolume,
  VolumeType as CloudVolumeType,
} from "../../cloud/cloud-types.js";
import type {
  Attachment,
  BlockStorage,
  Instance,
  OperationOptions,
  Snapshot,
  Volume,
  VolumeType,
} from "../../controller/block-storage.js";
import { notFound } from "../../shared/errors.js";
import { goneIsDone, mapped, orUndefined } from "./call-mapping.js";
import { snapshotGroupStorage } from "./snapshot-group-adapter.js";

/** Bound for calls made without a gRPC deadline (the CSI sidecars always set one). */
const DEFAULT_CALL_BUDGET_MS = 120_000;

/** The shapes of the ids a cloud issues. An id of another shape cannot name anything there. */
export interface IdShapes {
  volume: RegExp;
  snapshot: RegExp;
  instance: RegExp;
}

/** The ballast contract's ids (openapi/block-storage.v1.yaml). */
export const BALLAST_ID_SHAPES: IdShapes = {
  volume: /^vol-[0-9a-f]{16}$/,
  snapshot: /^snap-[0-9a-f]{16}$/,
  instance: /^i-[0-9a-f]{16}$/,
};

function toAttachment(a: CloudAttachment): Attachment {
  return {
    instanceId: a.instanceId,
    serial: a.serial,
    byIdPath: a.byIdPath,
    state: a.state,
    readOnly: a.readOnly,
  };
}

function toVolume(v: CloudVolume): Volume {
  return {
    id: v.id,
    name: v.name,
    sizeBytes: v.sizeBytes,
    zone: v.zone,
    type: v.type,
    iops: v.iops,
    throughput: v.throughputMiBps,
    encrypted: v.encrypted,
    kmsKeyId: v.kmsKeyId,
    tags: v.tags,
    sourceSnapshotId: v.sourceSnapshotId,
    sourceVolumeId: v.sourceVolumeId,
    status: v.status,
    attachments: v.attachments.map(toAttachment),
  };
}

export function toSnapshot(s: CloudSnapshot): Snapshot {
  return {
    id: s.id,
    name: s.name,
    sourceVolumeId: s.sourceVolumeId,
    sizeBytes: s.sizeBytes,
    status: s.status,
    readyToUse: s.readyToUse,
    encrypted: s.encrypted,
    createdAt: s.createdAt,
    tags: s.tags,
    groupId: s.groupId,
  };
}

function toInstance(i: CloudInstance): Instance {
  return {
    id: i.id,
    name: i.name,
    zone: i.zone,
    maxAttachedVolumes: i.maxAttachedVolumes,
    attachedVolumeIds: i.attachedVolumeIds,
  };
}

function toVolumeType(t: CloudVolumeType): VolumeType {
  return {
    name: t.name,
    minSizeBytes: t.minSizeBytes,
    maxSizeBytes: t.maxSizeBytes,
    sizeGranularityBytes: t.sizeGranularityBytes,
    iops: t.iops ?? undefined,
    throughput: t.throughputMiBps ?? undefined,
    supportsEncryption: t.supportsEncryption,
    multiAttach: t.multiAttach,
  };
}

/** The ballast adapter: the port, and the id shapes it answers "does not exist" for without a call. */
export interface CloudBlockStorage extends BlockStorage {
  readonly ids: IdShapes;
}

export interface CloudBlockStorageOptions {
  /** The ids this cloud issues; default the ballast contract's. */
  ids?: IdShapes;
  now?: () => number;
}

/**
 * The controller's BlockStorage port over the generated, retrying ballast client: field names
 * translated, failures mapped to domain errors by the ballast table, "not found" turned into
 * undefined (reads) or success (deletes and detaches), a deadline supplied when the gRPC caller
 * set none, and the caller's cancellation passed down. An id of a shape this cloud never issues is
 * answered as "does not exist" here, as the CSI spec expects, instead of being sent to the cloud to
 * come back as a validation error.
 */
export function cloudBlockStorage(
  client: BlockStorageClient,
  options: CloudBlockStorageOptions = {},
): CloudBlockStorage {
  const ids = options.ids ?? BALLAST_ID_SHAPES;
  const now = options.now ?? Date.now;
  const call = ({ deadline, signal }: OperationOptions) => ({
    deadline: deadline ?? now() + DEFAULT_CALL_BUDGET_MS,
    signal,
  });
  const requireVolumeId = (id: string) => {
    if (!ids.volume.test(id)) throw notFound(`volume_id: volume ${id} does not exist`);
  };
  return {
    ids,
    snapshotGroups: snapshotGroupStorage(client, ids, call),
    createVolume: (input, options) =>
      mapped(
        (async () => {
          const pending = await client.startCreateVolume(
            {
              name: input.name,
              sizeBytes: input.sizeBytes,
              zone: input.zone,
              type: input.type,
              iops: input.iops,
              throughputMiBps: input.throughput,
              encrypted: input.encrypted,
              kmsKeyId: input.kmsKeyId,
              tags: input.tags,
              sourceSnapshotId: input.sourceSnapshotId,
              sourceVolumeId: input.sourceVolumeId,
            },
            { ...call(options), idempotencyKey: options.idempotencyKey },
          );
          // An operation that was over when the create was answered is an earlier create's,
          // replayed: its volume is as it was then, and the caller checks the volume as it is now.
          const replayed = pending.operation.status !== "running";
          const done = await client.waitForOperation(pending, call(options));
          if (replayed || done.volume === undefined)
            return toVolume(await client.getVolume(done.resourceId, call(options)));
          return toVolume(done.volume);
        })(),
      ),
    async getVolume(id, options) {
      if (!ids.volume.test(id)) return undefined;
      const volume = await orUndefined(client.getVolume(id, call(options)));
      return volume && toVolume(volume);
    },
    async findVolumeByName(name, options) {
      const volume = await mapped(client.findVolumeByName(name, call(options)));
      return volume && toVolume(volume);
    },
    async listVolumes(page, options) {
      const list = await mapped(
        client.listVolumes({ limit: page.limit, pageToken: page.pageToken, tags: page.tags }, call(options)),
      );
      return { items: list.items.map(toVolume), nextPageToken: list.nextPageToken };
    },
    async deleteVolume(id, options) {
      if (ids.volume.test(id)) await goneIsDone(client.deleteVolume(id, call(options)));
    },
    async resizeVolume(id, sizeBytes, options) {
      requireVolumeId(id);
      const volume = await mapped(
        client.resizeVolume(id, { sizeBytes }, { ...call(options), idempotencyKey: options.idempotencyKey }),
      );
      return toVolume(volume);
    },
    async modifyVolume(id, input, options) {
      requireVolumeId(id);
      const volume = await mapped(
        client.modifyVolume(
          id,
          { type: input.type, iops: input.iops, throughputMiBps: input.throughput },
          { ...call(options), idempotencyKey: options.idempotencyKey },
        ),
      );
      return toVolume(volume);
    },
    async attachVolume(volumeId, instanceId, input, options) {
      requireVolumeId(volumeId);
      if (!ids.instance.test(instanceId)) throw notFound(`node_id: node ${instanceId} does not exist`);
      const attachment = await mapped(
        client.attachVolume(
          volumeId,
          { instanceId, readOnly: input.readOnly, exclusive: input.exclusive },
          { ...call(options), idempotencyKey: options.idempotencyKey },
        ),
      );
      return toAttachment(attachment);
    },
    async detachVolume(volumeId, instanceId, options) {
      if (ids.volume.test(volumeId) && ids.instance.test(instanceId)) {
        await goneIsDone(client.detachVolume(volumeId, instanceId, call(options)));
      }
    },
    async createSnapshot(input, options) {
      if (!ids.volume.test(input.sourceVolumeId)) {
        throw notFound(`source_volume_id: volume ${input.sourceVolumeId} does not exist`);
      }
      return mapped(
        (async () => {
          const pending = await client.startCreateSnapshot(
            { name: input.name, sourceVolumeId: input.sourceVolumeId, tags: input.tags },
            { ...call(options), idempotencyKey: options.idempotencyKey },
          );
          const done = pending.operation.snapshot;
          if (done !== undefined) return toSnapshot(done);
          return toSnapshot(await client.getSnapshot(pending.operation.resourceId, call(options)));
        })(),
      );
    },
    async getSnapshot(id, options) {
      if (!ids.snapshot.test(id)) return undefined;
      const snapshot = await orUndefined(client.getSnapshot(id, call(options)));
      return snapshot && toSnapshot(snapshot);
    },
    async findSnapshotByName(name, options) {
      const snapshot = await mapped(client.findSnapshotByName(name, call(options)));
      return snapshot && toSnapshot(snapshot);
    },
    async listSnapshots(page, options) {
      // No snapshot can have a source the cloud never issued: the filtered list is empty.
      if (page.sourceVolumeId !== undefined && !ids.volume.test(page.sourceVolumeId)) return { items: [] };
      const list = await mapped(
        client.listSnapshots(
          { limit: page.limit, pageToken: page.pageToken, sourceVolumeId: page.sourceVolumeId },
          call(options),
        ),
      );
      return { items: list.items.map(toSnapshot), nextPageToken: list.nextPageToken };
    },
    async deleteSnapshot(id, options) {
      if (ids.snapshot.test(id)) await goneIsDone(client.deleteSnapshot(id, call(options)));
    },
    async getInstance(id, options): Promise<Instance | undefined> {
      if (!ids.instance.test(id)) return undefined;
      const instance = await orUndefined(client.getInstance(id, call(options)));
      return instance && toInstance(instance);
    },
    async findInstanceByName(name, options): Promise<Instance | undefined> {
      const instance = await mapped(client.findInstanceByName(name, call(options)));
      return instance && toInstance(instance);
    },
    async listZones(options) {
      return (await mapped(client.listZones(call(options)))).map((zone) => ({
        name: zone.name,
        available: zone.status === "available",
      }));
    },
    async probe(options) {
      // The zone list is the contract's smallest authenticated answer: a few zones, never paged.
      await mapped(client.listZones(call(options)));
    },
    async listVolumeTypes(options) {
      return (await mapped(client.listVolumeTypes(call(options)))).map(toVolumeType);
    },
    async getCapacity(zone, type, options) {
      const capacity = await mapped(client.getCapacity({ zone, type }, call(options)));
      return {
        availableBytes: capacity.availableBytes,
        maximumVolumeSizeBytes: capacity.maximumVolumeSizeBytes,
      };
    },
  };
}
