import { sameMembers } from "../../shared/same-members.js";
import { type Page, paginate } from "../page-token.js";
import { problem } from "../problems.js";
import {
  type CloudState,
  type OperationRecord,
  type SnapshotGroup,
  type SnapshotGroupRecord,
  type SnapshotRecord,
  snapshotGroupsOf,
  type VolumeRecord,
} from "../state.js";
import type { EngineParts, ListSnapshotGroupsQuery, Schemas } from "./engine-types.js";
import type { SnapshotCapturing } from "./snapshot-captures.js";
import { pendingSnapshot } from "./snapshots.js";
import { snapshotView } from "./views.js";

export function snapshotGroupView(state: CloudState, group: SnapshotGroupRecord): SnapshotGroup {
  const { seq: _seq, createOperationId: _create, deleteOperationId: _delete, snapshotIds, ...view } = group;
  const snapshots = snapshotIds
    .map((id) => state.snapshots[id])
    .filter((snapshot): snapshot is SnapshotRecord => snapshot !== undefined)
    .map(snapshotView);
  return {
    ...view,
    sourceVolumeIds: [...view.sourceVolumeIds],
    tags: { ...view.tags },
    snapshots,
    readyToUse: group.status === "available",
  };
}

/**
 * Snapshot groups: one point in time across several volumes of a zone. The members are ordinary
 * snapshots (restorable, listed) marked with the group's id; they are deleted with their group only.
 */
export class SnapshotGroups {
  constructor(
    private readonly parts: EngineParts,
    private readonly captures: SnapshotCapturing,
  ) {}

  list(query: ListSnapshotGroupsQuery): Page<SnapshotGroup> {
    const { state } = this.parts;
    const matching = Object.values(snapshotGroupsOf(state))
      .sort((a, b) => a.seq - b.seq)
      .filter((g) => query.name === undefined || g.name === query.name);
    const page = paginate("snapshot-groups", matching, (g) => g.seq, query.limit, query.pageToken);
    return { ...page, items: page.items.map((g) => snapshotGroupView(state, g)) };
  }

  get(groupId: string): SnapshotGroup {
    return snapshotGroupView(this.parts.state, this.record(groupId));
  }

  /** The member snapshots' ids; none for a group that is gone (a replayed create of a deleted group). */
  memberIds(groupId: string): string[] {
    return [...(snapshotGroupsOf(this.parts.state)[groupId]?.snapshotIds ?? [])];
  }

  create(request: Schemas["CreateSnapshotGroupRequest"]): OperationRecord {
    const { state, records, operations } = this.parts;
    const groups = snapshotGroupsOf(state);
    const existing = Object.values(groups).find((g) => g.name === request.name);
    if (existing !== undefined) {
      if (!sameMembers(existing.sourceVolumeIds, request.sourceVolumeIds) || existing.status === "deleting") {
        throw problem(
          "already_exists",
          `name: a snapshot group named ${JSON.stringify(request.name)} already exists (${existing.id}) of volumes ${existing.sourceVolumeIds.join(", ")}`,
          { resourceId: existing.id },
        );
      }
      return operations.get(existing.createOperationId);
    }
    const volumes = request.sourceVolumeIds.map((id, index) =>
      records.volume(id, `sourceVolumeIds[${index}]`),
    );
    this.requireOneZone(volumes);
    for (const [index, volume] of volumes.entries()) {
      records.requireSettled(volume, `sourceVolumeIds[${index}]`);
      records.requireNotBusy(volume);
    }
    this.parts.capacity.checkSnapshotQuota({ field: "sourceVolumeIds", members: volumes.length });
    const id = this.parts.newId("sg");
    const operation = operations.create("createSnapshotGroup", id, { kind: "createSnapshotGroup" });
    const tags = request.tags ?? {};
    const members = volumes.map((volume) => this.member(id, volume, tags, operation));
    for (const member of members) state.snapshots[member.id] = member;
    groups[id] = {
      id,
      name: request.name,
      sourceVolumeIds: volumes.map((volume) => volume.id),
      snapshotIds: members.map((member) => member.id),
      status: "pending",
      tags,
      createdAt: operation.createdAt,
      seq: records.nextSeq(),
      createOperationId: operation.id,
    };
    this.captures.startGroup(members);
    return operations.start(operation);
  }

  /** Deletes the group with its members; a pending group's create ends as cancelled. */
  delete(groupId: string): OperationRecord {
    const { state, operations } = this.parts;
    const group = this.record(groupId);
    if (group.status === "deleting" && group.deleteOperationId !== undefined) {
      return operations.get(group.deleteOperationId);
    }
    const restoring = Object.values(state.volumes).find(
      (v) =>
        v.status === "creating" &&
        v.sourceSnapshotId !== undefined &&
        group.snapshotIds.includes(v.sourceSnapshotId),
    );
    if (restoring !== undefined) {
      throw problem(
        "conflict",
        `snapshot ${restoring.sourceSnapshotId} of group ${group.id} is being restored into volume ${restoring.id}`,
        { resourceId: group.id },
      );
    }
    if (group.status === "pending") {
      operations.cancel(
        operations.get(group.createOperationId),
        `snapshot group ${group.id} was deleted before it became available`,
      );
    }
    const operation = operations.create("deleteSnapshotGroup", group.id, { kind: "deleteSnapshotGroup" });
    group.status = "deleting";
    group.deleteOperationId = operation.id;
    for (const id of group.snapshotIds) {
      const member = state.snapshots[id];
      if (member === undefined) continue;
      member.status = "deleting";
      member.readyToUse = false;
      member.deleteOperationId = operation.id;
    }
    return operations.start(operation);
  }

  private record(groupId: string): SnapshotGroupRecord {
    const group = snapshotGroupsOf(this.parts.state)[groupId];
    if (group === undefined) {
      throw problem("not_found", `snapshotGroupId: snapshot group ${groupId} does not exist`, {
        resourceId: groupId,
      });
    }
    return group;
  }

  private requireOneZone(volumes: readonly VolumeRecord[]): void {
    const [first] = volumes;
    const other = volumes.find((volume) => volume.zone !== first?.zone);
    if (first !== undefined && other !== undefined) {
      throw problem(
        "zone_mismatch",
        `sourceVolumeIds: volume ${first.id} is in zone ${first.zone} and volume ${other.id} in zone ${other.zone}; a group's volumes share one zone`,
      );
    }
  }

  private member(
    groupId: string,
    volume: VolumeRecord,
    tags: Record<string, string>,
    operation: OperationRecord,
  ): SnapshotRecord {
    return pendingSnapshot(volume, {
      id: this.parts.newId("snap"),
      name: `${groupId}.${volume.id}`,
      tags: { ...tags },
      seq: this.parts.records.nextSeq(),
      operation,
      groupId,
    });
  }
}
