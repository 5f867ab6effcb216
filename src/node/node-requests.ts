import type { DeviceHint } from "./device-discovery.js";
import type { FsType } from "./filesystem-type.js";
import type { MkfsOptions } from "./mkfs-options.js";

/** How the CO wants to use the volume, already validated. */
export type VolumeAccess = { kind: "block" } | { kind: "mount"; fsType: FsType; mountOptions: string[] };

export interface StageVolumeRequest {
  volumeId: string;
  stagingPath: string;
  hint: DeviceHint;
  access: VolumeAccess;
  /** The access mode only allows reading (e.g. SINGLE_NODE_READER_ONLY). */
  readOnly: boolean;
  /**
   * MULTI_NODE_READER_ONLY: the device may be attached to other nodes at the same time, so this
   * node must never write to it, not even to format or grow it.
   */
  sharedReadOnly: boolean;
  mkfsOptions: MkfsOptions;
}

export interface UnstageVolumeRequest {
  volumeId: string;
  stagingPath: string;
}

export interface PublishVolumeRequest {
  volumeId: string;
  stagingPath: string;
  targetPath: string;
  hint: DeviceHint;
  access: VolumeAccess;
  /** The request's readonly flag or a read-only access mode; `ro` among the mount options counts too. */
  readOnly: boolean;
  /** SINGLE_NODE_SINGLE_WRITER: the volume may be published at one target path of the node at a time. */
  singleWriter: boolean;
}

export interface UnpublishVolumeRequest {
  volumeId: string;
  targetPath: string;
}

export interface VolumeStatsRequest {
  volumeId: string;
  volumePath: string;
  stagingPath?: string;
}

export interface VolumeUsageFigures {
  unit: "bytes" | "inodes";
  total: bigint;
  available?: bigint;
  used?: bigint;
}

export interface VolumeStats {
  usage: VolumeUsageFigures[];
  condition: { abnormal: boolean; message: string };
}

export interface ExpandVolumeRequest {
  volumeId: string;
  volumePath: string;
  stagingPath?: string;
  requiredBytes: bigint;
  access?: VolumeAccess;
}
