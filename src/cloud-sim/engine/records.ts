import { problem } from "../problems.js";
import type { CloudState, InstanceRecord, SnapshotRecord, VolumeRecord } from "../state.js";

/**
 * Lookups over the state that every part of the engine shares, and the guards that say why a
 * resource cannot take a request now. Lookups throw the API's `not_found` naming the field.
 */
export class Records {
  constructor(private readonly state: CloudState) {}

  volume(volumeId: string, field = "volumeId"): VolumeRecord {
    const volume = this.state.volumes[volumeId];
    if (volume === undefined) {
      throw problem("not_found", `${field}: volume ${volumeId} does not exist`, { resourceId: volumeId });
    }
    return volume;
  }

  snapshot(snapshotId: string, field = "snapshotId"): SnapshotRecord {
    const snapshot = this.state.snapshots[snapshotId];
    if (snapshot === undefined) {
      throw problem("not_found", `${field}: snapshot ${snapshotId} does not exist`, {
        resourceId: snapshotId,
      });
    }
    return snapshot;
  }

  instance(instanceId: string, field = "instanceId"): InstanceRecord {
    const instance = this.state.instances.find((i) => i.id === instanceId);
    if (instance === undefined) {
      throw problem("not_found", `${field}: instance ${instanceId} does not exist`, {
        resourceId: instanceId,
      });
    }
    return instance;
  }

  volumeByName(name: string): VolumeRecord | undefined {
    return Object.values(this.state.volumes).find((v) => v.name === name);
  }

  volumesInOrder(): VolumeRecord[] {
    return Object.values(this.state.volumes).sort((a, b) => a.seq - b.seq);
  }

  attachedVolumeIds(instanceId: string): string[] {
    return this.volumesInOrder()
      .filter((v) => v.attachments.some((a) => a.instanceId === instanceId))
      .map((v) => v.id);
  }

  pendingSnapshotOf(volumeId: string): SnapshotRecord | undefined {
    return Object.values(this.state.snapshots).find(
      (s) => s.status === "pending" && s.sourceVolumeId === volumeId,
    );
  }

  /** Listing order: a sequence number that only grows, so pages stay stable across deletions. */
  nextSeq(): number {
    this.state.seq += 1;
    return this.state.seq;
  }

  requireSettled(volume: VolumeRecord, field: string): void {
    if (volume.status !== "available" && volume.status !== "in-use") {
      throw problem(
        "conflict",
        `${field}: volume ${volume.id} is ${volume.status}, not available or in-use`,
        {
          resourceId: volume.id,
        },
      );
    }
  }

  /** One change at a time: a running delete, resize or modify holds the volume. */
  requireNoRunningChange(volume: VolumeRecord): void {
    if (volume.busyOperationId !== undefined) {
      const busy = this.state.operations[volume.busyOperationId];
      throw problem(
        "conflict",
        `volume ${volume.id} has operation ${volume.busyOperationId} (${busy?.kind ?? "unknown"}) running`,
        { resourceId: volume.id },
      );
    }
  }

  /**
   * A resize, a modify or another snapshot waits for a pending snapshot: its point in time is still
   * being copied. A delete does not (the capture keeps its own copy, see snapshot-captures.ts).
   */
  requireNotBusy(volume: VolumeRecord): void {
    this.requireNoRunningChange(volume);
    const pending = this.pendingSnapshotOf(volume.id);
    if (pending !== undefined) {
      throw problem("conflict", `volume ${volume.id} has snapshot ${pending.id} pending`, {
        resourceId: volume.id,
      });
    }
  }

  /** A volume being copied into a clone must keep its size and exist until the copy is done. */
  requireNotCopySource(volume: VolumeRecord): void {
    const clone = Object.values(this.state.volumes).find(
      (v) => v.status === "creating" && v.sourceVolumeId === volume.id,
    );
    if (clone !== undefined) {
      throw problem("conflict", `volume ${volume.id} is being cloned into volume ${clone.id}`, {
        resourceId: volume.id,
      });
    }
  }
}
