import { type Page, paginate } from "../page-token.js";
import { problem } from "../problems.js";
import type { OperationRecord, Volume } from "../state.js";
import type { EngineParts, ListVolumesQuery, Schemas } from "./engine-types.js";
import { volumeView } from "./views.js";
import {
  checkSizeBounds,
  GiB,
  performance,
  requestedSize,
  requestedSpec,
  roundUp,
  sameSpec,
} from "./volume-spec.js";

const DEFAULT_KMS_KEY_ID = "ref-kms-default";

/**
 * The volume lifecycle's rules. Each mutation checks and records its change synchronously and
 * returns the operation; the engine persists it and starts the work.
 */
export class Volumes {
  constructor(private readonly parts: EngineParts) {}

  list(query: ListVolumesQuery): Page<Volume> {
    const tags = (query.tag ?? []).map((t) => {
      const at = t.indexOf("=");
      return [t.slice(0, at), t.slice(at + 1)] as const;
    });
    const matching = this.parts.records
      .volumesInOrder()
      .filter(
        (v) =>
          (query.name === undefined || v.name === query.name) &&
          (query.zone === undefined || v.zone === query.zone) &&
          tags.every(([key, value]) => v.tags[key] === value) &&
          (query.instanceId === undefined || v.attachments.some((a) => a.instanceId === query.instanceId)),
      );
    const page = paginate("volumes", matching, (v) => v.seq, query.limit, query.pageToken);
    return { ...page, items: page.items.map((v) => volumeView(v)) };
  }

  get(volumeId: string): Volume {
    return volumeView(this.parts.records.volume(volumeId));
  }

  create(request: Schemas["CreateVolumeRequest"]): OperationRecord {
    const { records, catalog, capacity, operations, state, config } = this.parts;
    if (request.sizeBytes !== undefined && request.sizeGiB !== undefined) {
      throw problem("invalid_argument", "sizeBytes and sizeGiB: give one of them, not both");
    }
    if (request.sourceSnapshotId !== undefined && request.sourceVolumeId !== undefined) {
      throw problem("invalid_argument", "sourceSnapshotId and sourceVolumeId: give at most one of them");
    }
    const requestedBytes = request.sizeGiB !== undefined ? request.sizeGiB * GiB : request.sizeBytes;
    const hasSource = request.sourceSnapshotId !== undefined || request.sourceVolumeId !== undefined;
    if (requestedBytes === undefined && !hasSource) {
      throw problem("invalid_argument", "sizeBytes: required (or sizeGiB) when the volume has no source");
    }
    const zone = catalog.zone(request.zone, "zone", "invalid_argument");
    const type = catalog.volumeType(request.type ?? config.defaultVolumeType, "type", "invalid_argument");
    const chosen = performance(type, request.iops, request.throughputMiBps);
    if (request.kmsKeyId !== undefined && request.encrypted !== true) {
      throw problem(
        "invalid_argument",
        `kmsKeyId: ${JSON.stringify(request.kmsKeyId)} needs encrypted: true`,
      );
    }

    const existing = records.volumeByName(request.name);
    if (existing !== undefined) {
      const same =
        sameSpec(existing.spec, requestedSpec(request, requestedBytes, type, chosen)) &&
        existing.status !== "deleting";
      if (!same) {
        throw problem(
          "already_exists",
          `name: a volume named ${JSON.stringify(request.name)} already exists (${existing.id}) with a different spec`,
          { resourceId: existing.id },
        );
      }
      return operations.get(existing.createOperationId);
    }

    const source = this.source(request, zone);
    const sizeBytes = roundUp(requestedBytes ?? source.sizeBytes, type.sizeGranularityBytes);
    if (sizeBytes < source.sizeBytes) {
      throw problem(
        "invalid_argument",
        `sizeBytes: ${sizeBytes} is smaller than the source's ${source.sizeBytes} bytes`,
      );
    }
    checkSizeBounds(type, sizeBytes);
    const encrypted = request.encrypted === true || source.encrypted;
    if (encrypted && !type.supportsEncryption) {
      throw problem("invalid_argument", `encrypted: type ${type.name} does not support encryption`);
    }
    capacity.checkRoomFor(zone, type.name, sizeBytes, 1);

    const id = this.parts.newId("vol");
    const spec = requestedSpec(request, requestedBytes, type, chosen);
    const operation = operations.create("createVolume", id, { kind: "createVolume" });
    state.volumes[id] = {
      id,
      name: request.name,
      sizeBytes,
      zone,
      type: type.name,
      ...chosen,
      encrypted,
      ...(encrypted ? { kmsKeyId: request.kmsKeyId ?? source.kmsKeyId ?? DEFAULT_KMS_KEY_ID } : {}),
      tags: { ...spec.tags },
      ...(request.sourceSnapshotId === undefined ? {} : { sourceSnapshotId: request.sourceSnapshotId }),
      ...(request.sourceVolumeId === undefined ? {} : { sourceVolumeId: request.sourceVolumeId }),
      status: "creating",
      attachments: [],
      createdAt: operation.createdAt,
      seq: records.nextSeq(),
      spec,
      createOperationId: operation.id,
    };
    return operations.start(operation);
  }

  /**
   * Accepted while a snapshot of the volume is pending: the snapshot captured its data when it was
   * accepted, and the delete's work waits for that copy before it removes the volume's file.
   */
  delete(volumeId: string): OperationRecord {
    const { records, operations } = this.parts;
    const volume = records.volume(volumeId);
    if (volume.status === "deleting" && volume.busyOperationId !== undefined) {
      return operations.get(volume.busyOperationId);
    }
    if (volume.attachments.length > 0) {
      const instanceIds = volume.attachments.map((a) => a.instanceId);
      throw problem(
        "volume_in_use",
        `volume ${volume.id} is attached to instance ${instanceIds.join(", ")}; detach it first`,
        { resourceId: volume.id, instanceIds },
      );
    }
    if (volume.status === "creating") {
      throw problem("conflict", `volume ${volume.id} is still being created`, { resourceId: volume.id });
    }
    records.requireNoRunningChange(volume);
    records.requireNotCopySource(volume);
    const operation = operations.create("deleteVolume", volume.id, { kind: "deleteVolume" });
    volume.status = "deleting";
    volume.busyOperationId = operation.id;
    return operations.start(operation);
  }

  resize(volumeId: string, request: Schemas["ResizeVolumeRequest"]): OperationRecord {
    const { records, catalog, capacity, operations } = this.parts;
    const requested = requestedSize(request);
    const volume = records.volume(volumeId);
    records.requireSettled(volume, "volumeId");
    records.requireNotBusy(volume);
    records.requireNotCopySource(volume);
    const type = catalog.volumeType(volume.type, "type", "internal");
    const sizeBytes = roundUp(requested, type.sizeGranularityBytes);
    if (sizeBytes < volume.sizeBytes) {
      throw problem(
        "invalid_argument",
        `sizeBytes: ${sizeBytes} is smaller than the current ${volume.sizeBytes}; volumes only grow`,
        { resourceId: volume.id },
      );
    }
    checkSizeBounds(type, sizeBytes);
    if (sizeBytes === volume.sizeBytes) {
      return operations.finished("resizeVolume", volume.id, { volume: volumeView(volume) });
    }
    capacity.checkRoomFor(volume.zone, volume.type, sizeBytes - volume.sizeBytes, 0);
    const operation = operations.create("resizeVolume", volume.id, { kind: "resizeVolume", sizeBytes });
    volume.busyOperationId = operation.id;
    return operations.start(operation);
  }

  modify(volumeId: string, request: Schemas["ModifyVolumeRequest"]): OperationRecord {
    const { records, catalog, capacity, operations } = this.parts;
    const volume = records.volume(volumeId);
    records.requireSettled(volume, "volumeId");
    records.requireNotBusy(volume);
    const typeChanges = request.type !== undefined && request.type !== volume.type;
    const type = catalog.volumeType(request.type ?? volume.type, "type", "invalid_argument");
    const chosen = performance(
      type,
      request.iops ?? (typeChanges ? undefined : volume.iops),
      request.throughputMiBps ?? (typeChanges ? undefined : volume.throughputMiBps),
    );
    if (typeChanges) {
      checkSizeBounds(type, volume.sizeBytes);
      if (volume.encrypted && !type.supportsEncryption) {
        throw problem(
          "invalid_argument",
          `type: ${type.name} does not support encryption and the volume is encrypted`,
        );
      }
      if (!type.multiAttach && volume.attachments.length > 1) {
        throw problem(
          "conflict",
          `type: ${type.name} is single-attach and volume ${volume.id} is attached to ${volume.attachments.length} instances`,
          { resourceId: volume.id },
        );
      }
      capacity.checkRoomFor(volume.zone, type.name, volume.sizeBytes, 0);
    }
    const unchanged =
      type.name === volume.type &&
      chosen.iops === volume.iops &&
      chosen.throughputMiBps === volume.throughputMiBps;
    if (unchanged) return operations.finished("modifyVolume", volume.id, { volume: volumeView(volume) });
    const operation = operations.create("modifyVolume", volume.id, {
      kind: "modifyVolume",
      type: type.name,
      ...chosen,
    });
    volume.busyOperationId = operation.id;
    return operations.start(operation);
  }

  /** The size, encryption and key a new volume inherits from its snapshot or volume source. */
  private source(
    request: Schemas["CreateVolumeRequest"],
    zone: string,
  ): { sizeBytes: number; encrypted: boolean; kmsKeyId?: string } {
    const { records } = this.parts;
    if (request.sourceSnapshotId !== undefined) {
      const snapshot = records.snapshot(request.sourceSnapshotId, "sourceSnapshotId");
      if (snapshot.status !== "available") {
        throw problem(
          "conflict",
          `sourceSnapshotId: snapshot ${snapshot.id} is ${snapshot.status}, not available`,
          {
            resourceId: snapshot.id,
          },
        );
      }
      return inherited(snapshot);
    }
    if (request.sourceVolumeId !== undefined) {
      const source = records.volume(request.sourceVolumeId, "sourceVolumeId");
      records.requireSettled(source, "sourceVolumeId");
      // The clone copies the source's file at its size when accepted; a resize may grow it first.
      records.requireNoRunningChange(source);
      if (source.zone !== zone) {
        throw problem(
          "zone_mismatch",
          `sourceVolumeId: volume ${source.id} is in zone ${source.zone}, not ${zone}; clones stay in their zone`,
          { resourceId: source.id },
        );
      }
      return inherited(source);
    }
    return { sizeBytes: 0, encrypted: false };
  }
}

function inherited(source: { sizeBytes: number; encrypted: boolean; kmsKeyId?: string }) {
  return {
    sizeBytes: source.sizeBytes,
    encrypted: source.encrypted,
    ...(source.kmsKeyId === undefined ? {} : { kmsKeyId: source.kmsKeyId }),
  };
}
