import {
  type NodePublishVolumeRequest,
  type NodeStageVolumeRequest,
  type VolumeCapability,
  VolumeCapability_AccessMode_Mode,
} from "../../src/generated/csi.js";
import type { LabVolume } from "./device-lab.js";

export function mountCapability(
  fsType: string,
  mountFlags: string[] = [],
  mode = VolumeCapability_AccessMode_Mode.SINGLE_NODE_WRITER,
): VolumeCapability {
  return {
    accessType: { $case: "mount", value: { fsType, mountFlags, volumeMountGroup: "" } },
    accessMode: { mode },
  };
}

export function blockCapability(
  mode = VolumeCapability_AccessMode_Mode.SINGLE_NODE_WRITER,
): VolumeCapability {
  return { accessType: { $case: "block", value: {} }, accessMode: { mode } };
}

export function publishContext(volume: LabVolume): Record<string, string> {
  return { serial: volume.volumeId, byIdPath: `/dev/disk/by-id/virtio-${volume.volumeId}` };
}

export function stageRequest(
  volume: LabVolume,
  stagingTargetPath: string,
  volumeCapability: VolumeCapability,
  volumeContext: Record<string, string> = {},
): NodeStageVolumeRequest {
  return {
    volumeId: volume.volumeId,
    publishContext: publishContext(volume),
    stagingTargetPath,
    volumeCapability,
    secrets: {},
    volumeContext,
  };
}

export function publishRequest(
  volume: LabVolume,
  stagingTargetPath: string,
  targetPath: string,
  volumeCapability: VolumeCapability,
  readonly = false,
): NodePublishVolumeRequest {
  return {
    volumeId: volume.volumeId,
    publishContext: publishContext(volume),
    stagingTargetPath,
    targetPath,
    volumeCapability,
    readonly,
    secrets: {},
    volumeContext: {},
  };
}
