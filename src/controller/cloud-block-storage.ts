import type { BlockStorageClient } from "../cloud/block-storage-client.js";
import type {
  Attachment as CloudAttachment,
  Snapshot as CloudSnapshot,
  Volume as CloudVolume,
  VolumeType as CloudVolumeType,
} from "../cloud/cloud-types.js";
import { BallastError } from "../shared/errors.js";
import type {
  Attachment,
  BlockStorage,
  CallOptions,
  Instance,
  Snapshot,
  Volume,
  VolumeType,
} from "./block-storage.js";

/** Bound for calls made without a gRPC deadline (the CSI sidecars always set one). */
const DEFAULT_CALL_BUDGET_MS = 120_000;

/**
 * The contract's id shapes. An id of another shape cannot name anything in this cloud, so it is
 * answered as "not found" locally, as the CSI spec expects, instead of the cloud's 400.
 */
const VOLUME_ID = /^vol-[0-9a-f]{16}$/;
const SNAPSHOT_ID = /^snap-[0-9a-f]{16}$/;
const INSTANCE_ID = /^i-[0-9a-f]{16}$/;

function isNotFound(error: unknown): boolean {
  return error instanceof BallastError && error.kind === "NotFound";
}

async function orUndefined<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

async function goneIsDone(call: Promise<void>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

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

function toSnapshot(s: CloudSnapshot): Snapshot {
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

/**
 * The controller's BlockStorage port over the generated, retrying cloud client: field names
 * translated, "not found" turned into undefined (reads) or success (deletes and detaches), and a
 * deadline supplied when the gRPC caller set none.
 */
export function cloudBlockStorage(client: BlockStorageClient, now: () => number = Date.now): BlockStorage {
  const call = (options: CallOptions) => ({ deadline: options.deadline ?? now() + DEFAULT_CALL_BUDGET_MS });
  return {
    async createVolume(input, options) {
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
      // An operation that was over when the create was answered is an earlier create's, replayed:
      // its volume is as it was then, and the caller checks the volume as it is now.
      const replayed = pending.operation.status !== "running";
      const done = await client.waitForOperation(pending, call(options));
      if (replayed || done.volume === undefined)
        return toVolume(await client.getVolume(done.resourceId, call(options)));
      return toVolume(done.volume);
    },
    async getVolume(id, options) {
      if (!VOLUME_ID.test(id)) return undefined;
      const volume = await orUndefined(client.getVolume(id, call(options)));
      return volume && toVolume(volume);
    },
    async findVolumeByName(name, options) {
      const volume = await client.findVolumeByName(name, call(options));
      return volume && toVolume(volume);
    },
    async listVolumes(page, options) {
      const list = await client.listVolumes(
        { limit: page.limit, pageToken: page.pageToken, tags: page.tags },
        call(options),
      );
      return { items: list.items.map(toVolume), nextPageToken: list.nextPageToken };
    },
    deleteVolume: async (id, options) => {
      if (VOLUME_ID.test(id)) await goneIsDone(client.deleteVolume(id, call(options)));
    },
    async resizeVolume(id, sizeBytes, options) {
      const volume = await client.resizeVolume(
        id,
        { sizeBytes },
        { ...call(options), idempotencyKey: options.idempotencyKey },
      );
      return toVolume(volume);
    },
    async modifyVolume(id, input, options) {
      const volume = await client.modifyVolume(
        id,
        { type: input.type, iops: input.iops, throughputMiBps: input.throughput },
        { ...call(options), idempotencyKey: options.idempotencyKey },
      );
      return toVolume(volume);
    },
    async attachVolume(volumeId, instanceId, input, options) {
      if (!VOLUME_ID.test(volumeId)) throw new BallastError("NotFound", `volume ${volumeId} does not exist`);
      if (!INSTANCE_ID.test(instanceId)) {
        throw new BallastError("NotFound", `instance ${instanceId} does not exist`);
      }
      const attachment = await client.attachVolume(
        volumeId,
        { instanceId, readOnly: input.readOnly, exclusive: input.exclusive },
        { ...call(options), idempotencyKey: options.idempotencyKey },
      );
      return toAttachment(attachment);
    },
    detachVolume: async (volumeId, instanceId, options) => {
      if (VOLUME_ID.test(volumeId) && INSTANCE_ID.test(instanceId)) {
        await goneIsDone(client.detachVolume(volumeId, instanceId, call(options)));
      }
    },
    async createSnapshot(input, options) {
      if (!VOLUME_ID.test(input.sourceVolumeId)) {
        throw new BallastError("NotFound", `volume ${input.sourceVolumeId} does not exist`);
      }
      const pending = await client.startCreateSnapshot(
        { name: input.name, sourceVolumeId: input.sourceVolumeId, tags: input.tags },
        { ...call(options), idempotencyKey: options.idempotencyKey },
      );
      const done = pending.operation.snapshot;
      if (done !== undefined) return toSnapshot(done);
      return toSnapshot(await client.getSnapshot(pending.operation.resourceId, call(options)));
    },
    async getSnapshot(id, options) {
      if (!SNAPSHOT_ID.test(id)) return undefined;
      const snapshot = await orUndefined(client.getSnapshot(id, call(options)));
      return snapshot && toSnapshot(snapshot);
    },
    async findSnapshotByName(name, options) {
      const snapshot = await client.findSnapshotByName(name, call(options));
      return snapshot && toSnapshot(snapshot);
    },
    async listSnapshots(page, options) {
      const list = await client.listSnapshots(
        { limit: page.limit, pageToken: page.pageToken, sourceVolumeId: page.sourceVolumeId },
        call(options),
      );
      return { items: list.items.map(toSnapshot), nextPageToken: list.nextPageToken };
    },
    deleteSnapshot: async (id, options) => {
      if (SNAPSHOT_ID.test(id)) await goneIsDone(client.deleteSnapshot(id, call(options)));
    },
    async getInstance(id, options): Promise<Instance | undefined> {
      if (!INSTANCE_ID.test(id)) return undefined;
      const instance = await orUndefined(client.getInstance(id, call(options)));
      return (
        instance && {
          id: instance.id,
          name: instance.name,
          zone: instance.zone,
          maxAttachedVolumes: instance.maxAttachedVolumes,
          attachedVolumeIds: instance.attachedVolumeIds,
        }
      );
    },
    async listZones(options) {
      return (await client.listZones(call(options))).map((zone) => ({
        name: zone.name,
        available: zone.status === "available",
      }));
    },
    async listVolumeTypes(options) {
      return (await client.listVolumeTypes(call(options))).map(toVolumeType);
    },
    async getCapacity(zone, type, options) {
      const capacity = await client.getCapacity({ zone, type }, call(options));
      return {
        availableBytes: capacity.availableBytes,
        maximumVolumeSizeBytes: capacity.maximumVolumeSizeBytes,
      };
    },
  };
}
