import type {
  CreateVolumeGroupSnapshotRequest,
  CreateVolumeGroupSnapshotResponse,
  GetVolumeGroupSnapshotResponse,
  VolumeGroupSnapshot,
} from "../generated/csi.js";
import {
  alreadyExists,
  BallastError,
  failedPrecondition,
  internal,
  invalidArgument,
  notFound,
} from "../shared/errors.js";
import { sameMembers } from "../shared/same-members.js";
import type { OperationOptions } from "./block-storage.js";
import { checkedCoName, cloudNameOf } from "./cloud-names.js";
import { type ControllerContext, lockKeys } from "./controller-context.js";
import { toCsiSnapshot, toCsiTimestamp } from "./csi-mapping.js";
import { creationKey } from "./idempotency-keys.js";
import type { SnapshotGroup, SnapshotGroupStorage } from "./snapshot-group-storage.js";
import { CSI_NAME_TAG, MANAGED_BY_TAG } from "./storage-class-parameters.js";
import { checkedTagValue } from "./tag-checks.js";

/** What the external-snapshotter passes with --extra-create-metadata; recorded as tags. */
const GROUP_METADATA_TAGS: Record<string, string> = {
  "csi.storage.k8s.io/volumegroupsnapshot/name": "ballast.dev/volumegroupsnapshot-name",
  "csi.storage.k8s.io/volumegroupsnapshot/namespace": "ballast.dev/volumegroupsnapshot-namespace",
  "csi.storage.k8s.io/volumegroupsnapshotcontent/name": "ballast.dev/volumegroupsnapshotcontent-name",
};

/** The cloud's limit on members of one group (openapi/block-storage.v1.yaml). */
const MAX_GROUP_MEMBERS = 32;

function groupStorage(context: ControllerContext): SnapshotGroupStorage {
  const storage = context.cloud.snapshotGroups;
  if (storage === undefined) {
    // The handlers refuse first; reaching this is a wiring fault, not the caller's.
    throw new Error(`provider ${context.provider.name} has no snapshot groups`);
  }
  return storage;
}

function groupTags(
  context: ControllerContext,
  request: CreateVolumeGroupSnapshotRequest,
): Record<string, string> {
  const tags: Record<string, string> = { [MANAGED_BY_TAG]: context.driverName, [CSI_NAME_TAG]: request.name };
  for (const [key, value] of Object.entries(request.parameters)) {
    const tag = Object.hasOwn(GROUP_METADATA_TAGS, key) ? GROUP_METADATA_TAGS[key] : undefined;
    if (tag === undefined) throw invalidArgument(`parameters.${key}: unknown group snapshot parameter`);
    tags[tag] = checkedTagValue(`parameters.${key}`, tag, value);
  }
  return tags;
}

function checkedSourceVolumeIds(ids: readonly string[]): string[] {
  if (ids.length === 0) throw invalidArgument("source_volume_ids: is required");
  if (ids.length > MAX_GROUP_MEMBERS) {
    throw invalidArgument(
      `source_volume_ids: ${ids.length} volumes, a group takes at most ${MAX_GROUP_MEMBERS}`,
    );
  }
  const seen = new Set<string>();
  for (const [index, id] of ids.entries()) {
    if (id === "") throw invalidArgument(`source_volume_ids[${index}]: is empty`);
    if (seen.has(id)) throw invalidArgument(`source_volume_ids[${index}]: volume ${id} is listed twice`);
    seen.add(id);
  }
  return [...ids];
}

export function toCsiGroupSnapshot(group: SnapshotGroup): VolumeGroupSnapshot {
  return {
    groupSnapshotId: group.id,
    snapshots: group.snapshots.map((snapshot) => ({ ...toCsiSnapshot(snapshot), groupSnapshotId: group.id })),
    creationTime: toCsiTimestamp(group.createdAt),
    readyToUse: group.readyToUse && group.snapshots.every((snapshot) => snapshot.readyToUse),
  };
}

/** A group found by cloud name answers this request only if it is the same CO name of the same volumes. */
function sameGroup(group: SnapshotGroup, request: CreateVolumeGroupSnapshotRequest): SnapshotGroup {
  const coName = group.tags[CSI_NAME_TAG];
  if (coName !== undefined && coName !== request.name) {
    throw alreadyExists(
      `name: cloud name ${group.name} of group snapshot ${JSON.stringify(request.name)} is taken by ${group.id}, the group snapshot named ${JSON.stringify(coName)}`,
    );
  }
  if (!sameMembers(group.sourceVolumeIds, request.sourceVolumeIds)) {
    throw alreadyExists(
      `name: group snapshot ${JSON.stringify(request.name)} already exists as ${group.id} of volumes ${group.sourceVolumeIds.join(", ")}, not ${request.sourceVolumeIds.join(", ")}`,
    );
  }
  return group;
}

/**
 * A group whose copy failed (the group or any member in error) would answer every retry of its
 * name with ready_to_use=false, for ever: it holds nothing usable, so, as for a single snapshot,
 * it is deleted with its members (the cloud then forgets the name's Idempotency-Key) and the
 * error says the next retry starts over.
 */
async function usableGroup(
  storage: SnapshotGroupStorage,
  group: SnapshotGroup,
  options: OperationOptions,
): Promise<SnapshotGroup> {
  if (group.status !== "error" && group.snapshots.every((snapshot) => snapshot.status !== "error")) {
    return group;
  }
  try {
    await storage.deleteSnapshotGroup(group.id, options);
  } catch {
    // The next retry finds it again and tries the delete again.
    throw internal(`group snapshot ${group.id} failed in the cloud`);
  }
  throw internal(`group snapshot ${group.id} failed in the cloud; it was deleted, a retry creates it anew`);
}

/**
 * CreateVolumeGroupSnapshot: the cloud takes every member at one point in time when it accepts the
 * request, so the answer comes at once, ready_to_use=false while the copies run. As with
 * CreateSnapshot, the cloud answers a known name of the same volumes with the group it made.
 */
export async function createVolumeGroupSnapshot(
  context: ControllerContext,
  request: CreateVolumeGroupSnapshotRequest,
  options: OperationOptions,
): Promise<CreateVolumeGroupSnapshotResponse> {
  const storage = groupStorage(context);
  const cloudName = cloudNameOf(checkedCoName("name", request.name));
  const sourceVolumeIds = checkedSourceVolumeIds(request.sourceVolumeIds);
  const tags = groupTags(context, request);
  return context.locks.run("CreateVolumeGroupSnapshot", [lockKeys.snapshotGroupName(cloudName)], async () => {
    const idempotencyKey = creationKey(context.driverName, "snapshot-group", cloudName);
    try {
      const group = await storage.createSnapshotGroup(
        { name: cloudName, sourceVolumeIds, tags },
        { ...options, idempotencyKey },
      );
      const usable = await usableGroup(storage, sameGroup(group, request), options);
      return { groupSnapshot: toCsiGroupSnapshot(usable) };
    } catch (error) {
      if (!(error instanceof BallastError)) throw error;
      if (error.kind === "AlreadyExists") {
        const existing = await storage.findSnapshotGroupByName(cloudName, options);
        if (existing !== undefined) {
          const usable = await usableGroup(storage, sameGroup(existing, request), options);
          return { groupSnapshot: toCsiGroupSnapshot(usable) };
        }
      }
      if (error.kind === "NotFound" && !error.message.startsWith("source_volume_ids")) {
        throw notFound(`source_volume_ids: ${error.message}`);
      }
      throw error;
    }
  });
}

/**
 * snapshot_ids is REQUIRED, and the spec asks a plugin that can tell to refuse a list that is not
 * the group's. Checked only once the group is found: for a group that does not exist the spec
 * prescribes the answer (NOT_FOUND, OK for a delete), and csi-sanity asks for it without a list.
 */
function checkSnapshotIds(group: SnapshotGroup, snapshotIds: readonly string[]): void {
  const members = group.snapshots.map((snapshot) => snapshot.id);
  if (snapshotIds.length === 0) {
    throw invalidArgument(
      `snapshot_ids: is required, the snapshots of group snapshot ${group.id} (${members.join(", ")})`,
    );
  }
  if (!sameMembers(members, snapshotIds)) {
    throw invalidArgument(
      `snapshot_ids: ${snapshotIds.join(", ")} are not the snapshots of group snapshot ${group.id} (${members.join(", ")})`,
    );
  }
}

/** DeleteVolumeGroupSnapshot; a group already gone is success. */
export async function deleteVolumeGroupSnapshot(
  context: ControllerContext,
  groupSnapshotId: string,
  snapshotIds: readonly string[],
  options: OperationOptions,
): Promise<void> {
  const storage = groupStorage(context);
  await context.locks.run(
    "DeleteVolumeGroupSnapshot",
    [lockKeys.snapshotGroupId(groupSnapshotId)],
    async () => {
      const group = await storage.getSnapshotGroup(groupSnapshotId, options);
      if (group === undefined) return;
      // The spec makes snapshot_ids REQUIRED, but the external-snapshotter sends an empty list when
      // the content's status names no member contents yet (it crashed between creating the group
      // and recording its members): refusing that would leave the group undeletable.
      if (snapshotIds.length > 0) checkSnapshotIds(group, snapshotIds);
      try {
        await storage.deleteSnapshotGroup(groupSnapshotId, options);
      } catch (error) {
        // The cloud refuses while a member is being restored: the spec's "in use by another resource".
        if (error instanceof BallastError && error.kind === "Aborted") {
          throw failedPrecondition(`group_snapshot_id: ${error.message}`);
        }
        throw error;
      }
    },
  );
}

export async function getVolumeGroupSnapshot(
  context: ControllerContext,
  groupSnapshotId: string,
  snapshotIds: readonly string[],
  options: OperationOptions,
): Promise<GetVolumeGroupSnapshotResponse> {
  const group = await groupStorage(context).getSnapshotGroup(groupSnapshotId, options);
  if (group === undefined) {
    throw notFound(`group_snapshot_id: group snapshot ${groupSnapshotId} does not exist`);
  }
  checkSnapshotIds(group, snapshotIds);
  return { groupSnapshot: toCsiGroupSnapshot(group) };
}
