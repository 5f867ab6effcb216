import { sleep as realSleep } from "../../cloud/deadline.js";
import type {
  BlockStorage,
  CreateVolumeInput,
  MutationOptions,
  OperationOptions,
  Snapshot,
  Volume,
} from "../../controller/block-storage.js";
import { CSI_NAME_TAG, MANAGED_BY_TAG } from "../../controller/storage-class-parameters.js";
import { alreadyExists, unavailable } from "../../shared/errors.js";

/** Recorded on a clone: the volume it was cloned from, which the cloud itself does not keep. */
export const CLONE_SOURCE_TAG = "ballast.dev/clone-of";

/** Bound on the wait for the intermediate snapshot when the RPC has no deadline. */
const DEFAULT_WAIT_MS = 120_000;

export interface CloneViaSnapshotOptions {
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** First and largest pause between looks at the intermediate snapshot. */
  pollMs?: { initial: number; max: number };
}

/** The intermediate snapshot of a clone is named after the clone, so a retry finds it again. */
export function cloneSnapshotName(cloneName: string): string {
  return `clone-${cloneName}`;
}

/** A restored clone reads as what it is to the controller: a copy of its source volume. */
function asClone(volume: Volume): Volume {
  const sourceVolumeId = volume.tags[CLONE_SOURCE_TAG];
  if (sourceVolumeId === undefined) return volume;
  return { ...volume, sourceVolumeId, sourceSnapshotId: undefined };
}

/**
 * Clones for a cloud that can snapshot and restore but not copy a volume: snapshot the source,
 * restore the snapshot under the clone's name, delete the snapshot. Every step is found again by
 * name, so a controller that dies anywhere and is retried ends with exactly one clone and no
 * intermediate snapshot:
 * - the clone exists: its intermediate snapshot, if left, is deleted once the clone is available;
 * - the snapshot exists: the wait and the restore go on from it, if it is of the requested source
 *   (else AlreadyExists, as a native clone of another source would be);
 * - neither: the snapshot is taken.
 * A snapshot that is not ready by the RPC's deadline answers Unavailable; the CO's retry resumes.
 */
export function withClonesViaSnapshots(
  storage: BlockStorage,
  options: CloneViaSnapshotOptions = {},
): BlockStorage {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const poll = options.pollMs ?? { initial: 500, max: 5_000 };

  const removeIntermediate = async (clone: Volume, call: OperationOptions): Promise<void> => {
    if (clone.status !== "available" && clone.status !== "in-use") return;
    const snapshot = await storage.findSnapshotByName(cloneSnapshotName(clone.name), call);
    if (snapshot !== undefined) await storage.deleteSnapshot(snapshot.id, call);
  };

  const readySnapshot = async (snapshot: Snapshot, call: OperationOptions): Promise<Snapshot> => {
    const deadline = call.deadline ?? now() + DEFAULT_WAIT_MS;
    let current = snapshot;
    let pause = poll.initial;
    while (!current.readyToUse) {
      if (current.status === "error") {
        await storage.deleteSnapshot(current.id, call);
        throw unavailable(
          `clone: snapshot ${current.id} of volume ${current.sourceVolumeId} failed; deleted it, a retry takes another`,
        );
      }
      if (now() + pause > deadline) {
        throw unavailable(
          `clone: snapshot ${current.id} of volume ${current.sourceVolumeId} is still ${current.status}; a retry goes on from it`,
        );
      }
      await sleep(pause, call.signal);
      pause = Math.min(pause * 2, poll.max);
      const latest = await storage.getSnapshot(current.id, call);
      if (latest === undefined) {
        throw unavailable(
          `clone: snapshot ${current.id} vanished while it was being taken; a retry takes another`,
        );
      }
      current = latest;
    }
    return current;
  };

  const clone = async (input: CreateVolumeInput, sourceVolumeId: string, call: MutationOptions) => {
    const existing = await storage.findVolumeByName(input.name, call);
    if (existing !== undefined) {
      await removeIntermediate(existing, call);
      return asClone(existing);
    }
    const snapshotName = cloneSnapshotName(input.name);
    const leftover = await storage.findSnapshotByName(snapshotName, call);
    // Restoring another volume's snapshot would tag that volume's data as a clone of this source,
    // so the controller's compatibility check could not see the difference.
    if (leftover !== undefined && leftover.sourceVolumeId !== sourceVolumeId) {
      throw alreadyExists(
        `name: volume ${JSON.stringify(input.tags[CSI_NAME_TAG] ?? input.name)} is already being cloned from volume ${leftover.sourceVolumeId} (snapshot ${leftover.id}), incompatible with this request to clone volume ${sourceVolumeId}`,
      );
    }
    const taken =
      leftover ??
      (await storage.createSnapshot(
        {
          name: snapshotName,
          sourceVolumeId,
          tags: { [MANAGED_BY_TAG]: input.tags[MANAGED_BY_TAG] ?? "", [CLONE_SOURCE_TAG]: sourceVolumeId },
        },
        { ...call, idempotencyKey: `${call.idempotencyKey}/snapshot` },
      ));
    const snapshot = await readySnapshot(taken, call);
    const restored = await storage.createVolume(
      {
        ...input,
        sourceVolumeId: undefined,
        sourceSnapshotId: snapshot.id,
        tags: { ...input.tags, [CLONE_SOURCE_TAG]: sourceVolumeId },
      },
      call,
    );
    await removeIntermediate(restored, call);
    return asClone(restored);
  };

  return {
    ...storage,
    createVolume: (input, call) =>
      input.sourceVolumeId === undefined
        ? storage.createVolume(input, call)
        : clone(input, input.sourceVolumeId, call),
    getVolume: async (id, call) => {
      const volume = await storage.getVolume(id, call);
      return volume && asClone(volume);
    },
    findVolumeByName: async (name, call) => {
      const volume = await storage.findVolumeByName(name, call);
      return volume && asClone(volume);
    },
    listVolumes: async (page, call) => {
      const list = await storage.listVolumes(page, call);
      return { ...list, items: list.items.map(asClone) };
    },
  };
}
