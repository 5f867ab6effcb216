import { type Page, paginate } from "../page-token.js";
import { problem } from "../problems.js";
import type { OperationRecord, Snapshot, SnapshotRecord, VolumeRecord } from "../state.js";
import type { EngineParts, ListSnapshotsQuery, Schemas } from "./engine-types.js";
import type { SnapshotCapturing } from "./snapshot-captures.js";
import { snapshotView } from "./views.js";

/**
 * A snapshot accepted just now, of the volume as it is (size, encryption and key), created by
 * `operation`; a member of a snapshot group carries the group's id.
 */
export function pendingSnapshot(
  volume: VolumeRecord,
  snapshot: {
    id: string;
    name: string;
    tags: Record<string, string>;
    seq: number;
    operation: OperationRecord;
    groupId?: string;
  },
): SnapshotRecord {
  const { operation, groupId, ...named } = snapshot;
  return {
    ...named,
    sourceVolumeId: volume.id,
    sizeBytes: volume.sizeBytes,
    status: "pending",
    readyToUse: false,
    encrypted: volume.encrypted,
    ...(volume.kmsKeyId === undefined ? {} : { kmsKeyId: volume.kmsKeyId }),
    ...(groupId === undefined ? {} : { groupId }),
    createdAt: operation.createdAt,
    createOperationId: operation.id,
  };
}

/** The snapshot lifecycle's rules: names, quota, the source volume's state, and deletion. */
export class Snapshots {
  constructor(
    private readonly parts: EngineParts,
    private readonly captures: SnapshotCapturing,
  ) {}

  list(query: ListSnapshotsQuery): Page<Snapshot> {
    const matching = Object.values(this.parts.state.snapshots)
      .sort((a, b) => a.seq - b.seq)
      .filter(
        (s) =>
          (query.name === undefined || s.name === query.name) &&
          (query.sourceVolumeId === undefined || s.sourceVolumeId === query.sourceVolumeId),
      );
    const page = paginate("snapshots", matching, (s) => s.seq, query.limit, query.pageToken);
    return { ...page, items: page.items.map(snapshotView) };
  }

  get(snapshotId: string): Snapshot {
    return snapshotView(this.parts.records.snapshot(snapshotId));
  }

  create(request: Schemas["CreateSnapshotRequest"]): OperationRecord {
    const { state, records, capacity, operations } = this.parts;
    const existing = Object.values(state.snapshots).find((s) => s.name === request.name);
    if (existing !== undefined) {
      if (existing.sourceVolumeId !== request.sourceVolumeId || existing.status === "deleting") {
        throw problem(
          "already_exists",
          `name: a snapshot named ${JSON.stringify(request.name)} already exists (${existing.id}) of volume ${existing.sourceVolumeId}`,
          { resourceId: existing.id },
        );
      }
      return operations.get(existing.createOperationId);
    }
    const volume = records.volume(request.sourceVolumeId, "sourceVolumeId");
    records.requireSettled(volume, "sourceVolumeId");
    records.requireNotBusy(volume);
    capacity.checkSnapshotQuota();
    const id = this.parts.newId("snap");
    const operation = operations.create("createSnapshot", id, { kind: "createSnapshot" });
    const snapshot = pendingSnapshot(volume, {
      id,
      name: request.name,
      tags: request.tags ?? {},
      seq: records.nextSeq(),
      operation,
    });
    state.snapshots[id] = snapshot;
    this.captures.start(snapshot);
    return operations.start(operation);
  }

  /**
   * A pending snapshot can be deleted, as on EBS: its create operation ends as cancelled (so its
   * work, when it falls due, changes nothing) and the delete's work stops the capture.
   */
  delete(snapshotId: string): OperationRecord {
    const { state, records, operations } = this.parts;
    const snapshot = records.snapshot(snapshotId);
    if (snapshot.status === "deleting" && snapshot.deleteOperationId !== undefined) {
      return operations.get(snapshot.deleteOperationId);
    }
    if (snapshot.groupId !== undefined) {
      throw problem(
        "snapshot_in_group",
        `snapshot ${snapshot.id} is a member of snapshot group ${snapshot.groupId}: delete the group`,
        { resourceId: snapshot.id },
      );
    }
    if (snapshot.status === "pending") {
      operations.cancel(
        operations.get(snapshot.createOperationId),
        `snapshot ${snapshot.id} was deleted before it became available`,
      );
    }
    const restoring = Object.values(state.volumes).find(
      (v) => v.status === "creating" && v.sourceSnapshotId === snapshot.id,
    );
    if (restoring !== undefined) {
      throw problem("conflict", `snapshot ${snapshot.id} is being restored into volume ${restoring.id}`, {
        resourceId: snapshot.id,
      });
    }
    const operation = operations.create("deleteSnapshot", snapshot.id, { kind: "deleteSnapshot" });
    snapshot.status = "deleting";
    snapshot.readyToUse = false;
    snapshot.deleteOperationId = operation.id;
    return operations.start(operation);
  }
}
