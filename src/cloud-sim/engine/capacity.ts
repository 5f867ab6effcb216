import type { ResolvedConfig } from "../config.js";
import { problem } from "../problems.js";
import type { CloudState, VolumeRecord } from "../state.js";
import type { Catalog } from "./catalog.js";
import type { Schemas } from "./engine-types.js";

/** Quotas and pool room: what is used, what is left, and whether a new volume or growth fits. */
export class Capacity {
  constructor(
    private readonly config: ResolvedConfig,
    private readonly state: CloudState,
    private readonly catalog: Catalog,
  ) {}

  getCapacity(zone?: string, type?: string): Schemas["Capacity"] {
    if (zone !== undefined) this.catalog.zone(zone, "zone", "not_found");
    const volumeType = type === undefined ? undefined : this.catalog.volumeType(type, "type", "not_found");
    const zones = zone === undefined ? this.config.zones.map((z) => z.name) : [zone];
    const types = type === undefined ? this.config.volumeTypes.map((t) => t.name) : [type];
    const quotaLeft = Math.max(0, this.config.quotas.maxVolumeBytes - this.usedBytes());
    let available = 0;
    let largestPool = 0;
    const open = new Set(this.config.zones.filter((z) => z.status === "available").map((z) => z.name));
    for (const z of zones) {
      for (const t of types) {
        // An unavailable zone takes no new volumes, so none of its room can be provisioned.
        const free = open.has(z) ? Math.max(0, this.config.poolCapacityBytes - this.usedBytes(z, t)) : 0;
        available += free;
        largestPool = Math.max(largestPool, free);
      }
    }
    return {
      ...(zone === undefined ? {} : { zone }),
      ...(type === undefined ? {} : { type }),
      availableBytes: Math.min(available, quotaLeft),
      ...(volumeType === undefined
        ? {}
        : { maximumVolumeSizeBytes: Math.min(volumeType.maxSizeBytes, largestPool, quotaLeft) }),
    };
  }

  checkRoomFor(zone: string, type: string, addedBytes: number, addedVolumes: number): void {
    const { quotas, poolCapacityBytes } = this.config;
    const volumes = Object.keys(this.state.volumes).length;
    if (volumes + addedVolumes > quotas.maxVolumes) {
      throw problem("quota_exceeded", `volumes: the quota of ${quotas.maxVolumes} volumes is used up`);
    }
    const used = this.usedBytes();
    if (used + addedBytes > quotas.maxVolumeBytes) {
      throw problem(
        "quota_exceeded",
        `sizeBytes: ${addedBytes} more bytes exceed the quota of ${quotas.maxVolumeBytes} bytes (${used} used)`,
      );
    }
    const pool = this.usedBytes(zone, type);
    if (pool + addedBytes > poolCapacityBytes) {
      throw problem(
        "insufficient_capacity",
        `sizeBytes: ${addedBytes} more bytes do not fit in zone ${zone} type ${type} (${poolCapacityBytes - pool} available)`,
      );
    }
  }

  /** Room for one more snapshot, or for every member of a group (each member is a snapshot). */
  checkSnapshotQuota(group?: { field: string; members: number }): void {
    const { maxSnapshots } = this.config.quotas;
    const used = Object.keys(this.state.snapshots).length;
    if (used + (group?.members ?? 1) <= maxSnapshots) return;
    throw problem(
      "quota_exceeded",
      group === undefined
        ? `snapshots: the quota of ${maxSnapshots} snapshots is used up`
        : `${group.field}: ${group.members} more snapshots exceed the quota of ${maxSnapshots} (${used} used)`,
    );
  }

  private usedBytes(zone?: string, type?: string): number {
    let used = 0;
    for (const v of Object.values(this.state.volumes)) {
      if ((zone === undefined || v.zone === zone) && (type === undefined || v.type === type))
        used += this.committedBytes(v);
    }
    return used;
  }

  /**
   * A volume's size counting the growth of a resize accepted but not yet run: otherwise two resizes
   * accepted before either ran would each see the other's room as free. A failed resize clears the
   * volume's busy operation, which frees the growth again.
   */
  private committedBytes(volume: VolumeRecord): number {
    const busy =
      volume.busyOperationId === undefined ? undefined : this.state.operations[volume.busyOperationId];
    return busy?.input.kind === "resizeVolume" ? busy.input.sizeBytes : volume.sizeBytes;
  }
}
