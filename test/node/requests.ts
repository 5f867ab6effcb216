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

/** Only the id matters, so a fake host's volume (test/node/fakes) serves as well as a loop device. */
type AnyVolume = Pick<LabVolume, "volumeId">;

export function publishContext(volume: AnyVolume): Record<string, string> {
  return { serial: volume.volumeId, byIdPath: `/dev/disk/by-id/virtio-${volume.volumeId}` };
}

export function stageRequest(
  volume: AnyVolume,
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
  volume: AnyVolume,
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
