import type { DeviceLocator } from "../provider.js";

const LINK_PREFIX = "scsi-0HC_Volume_";
const LINK_NAME = /^scsi-0HC_Volume_([1-9][0-9]*)$/;

/** The by-id link name Hetzner's servers give a volume's disk. */
export function linkNameOf(volumeId: string): string {
  return `${LINK_PREFIX}${volumeId}`;
}

export function devicePathOf(volumeId: string): string {
  return `/dev/disk/by-id/${linkNameOf(volumeId)}`;
}

/**
 * Hetzner volumes appear as `/dev/disk/by-id/scsi-0HC_Volume_<volume id>`. The disk itself is a
 * SCSI disk whose INQUIRY says vendor `HC`, model `Volume`, and whose vendor-specific designator
 * (VPD page 0x83) is the volume id: udev builds the link from exactly these, and the node checks
 * them on the disk. The reference cloud's Hetzner face backs a volume with `<volume id>.img`.
 */
export const hetznerDeviceLocator: DeviceLocator = {
  linkNames: (volumeId) => [linkNameOf(volumeId)],
  volumeOfLinkName: (name) => LINK_NAME.exec(name)?.[1],
  deviceSerial: undefined,
  scsiIdentity: (volumeId) => ({ vendor: "HC", model: "Volume", designator: volumeId }),
  volumeIdPattern: /\b[1-9][0-9]*\b/,
};
