import type {
  Snapshot as CsiSnapshot,
  Volume as CsiVolume,
  VolumeCondition,
  VolumeContentSource,
} from "../generated/csi.js";
import type { Timestamp } from "../generated/google/protobuf/timestamp.js";
import type { Snapshot, Volume } from "./block-storage.js";
import { zoneTopology } from "./topology.js";

export function toCsiVolume(volume: Volume, volumeContext: Record<string, string> = {}): CsiVolume {
  return {
    capacityBytes: BigInt(volume.sizeBytes),
    volumeId: volume.id,
    volumeContext,
    contentSource: contentSourceOf(volume),
    accessibleTopology: [zoneTopology(volume.zone)],
  };
}

function contentSourceOf(volume: Volume): VolumeContentSource | undefined {
  if (volume.sourceSnapshotId !== undefined) {
    return { type: { $case: "snapshot", value: { snapshotId: volume.sourceSnapshotId } } };
  }
  if (volume.sourceVolumeId !== undefined) {
    return { type: { $case: "volume", value: { volumeId: volume.sourceVolumeId } } };
  }
  return undefined;
}

/** Node ids the volume is published to: attachments that exist or are being made. */
export function publishedNodeIds(volume: Volume): string[] {
  return volume.attachments.filter((a) => a.state !== "detaching").map((a) => a.instanceId);
}

export function volumeCondition(volume: Volume): VolumeCondition {
  if (volume.status === "error") {
    return { abnormal: true, message: `volume ${volume.id} is in error state in the cloud` };
  }
  if (volume.status === "deleting") {
    return { abnormal: true, message: `volume ${volume.id} is being deleted` };
  }
  return { abnormal: false, message: `volume ${volume.id} is ${volume.status}` };
}

/** An RFC 3339 time of the cloud as a protobuf Timestamp; undefined when it does not parse. */
export function toCsiTimestamp(at: string): Timestamp | undefined {
  const millis = Date.parse(at);
  return Number.isFinite(millis)
    ? { seconds: BigInt(Math.floor(millis / 1000)), nanos: (millis % 1000) * 1_000_000 }
    : undefined;
}

export function toCsiSnapshot(snapshot: Snapshot): CsiSnapshot {
  return {
    sizeBytes: BigInt(snapshot.sizeBytes),
    snapshotId: snapshot.id,
    sourceVolumeId: snapshot.sourceVolumeId,
    creationTime: toCsiTimestamp(snapshot.createdAt),
    readyToUse: snapshot.readyToUse,
    groupSnapshotId: snapshot.groupId ?? "",
  };
}
