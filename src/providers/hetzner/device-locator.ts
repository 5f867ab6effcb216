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
 * Hetzner volumes appear as `/dev/disk/by-id/scsi-0HC_Volume_<volume id>`. Their disks carry no
 * serial the publish context could check, so the link name is the only tie to the volume.
 */
export const hetznerDeviceLocator: DeviceLocator = {
  linkNames: (volumeId) => [linkNameOf(volumeId)],
  volumeOfLinkName: (name) => LINK_NAME.exec(name)?.[1],
  deviceSerial: undefined,
  // How the reference cloud names the backing files of this face is not decided yet.
  volumeIdPattern: undefined,
};
